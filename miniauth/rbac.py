"""Role-based access control: roles grant permissions, users have roles.

    roles = Roles({
        "viewer": ["items:read"],
        "editor": ["items:read", "items:write"],
        "admin":  ["*"],                          # every permission
    }, inherits={"admin": ["editor"]})

    access = RoleBasedAccess(roles, current_user=get_current_user)

    @app.delete("/items/{item_id}")
    def delete_item(item_id: int, user = Depends(access.requires("items:delete"))): ...

Asking "may this user do X?" in terms of permissions, never of role names,
keeps the question stable when roles change: a new "auditor" role is one line
in the table, not a search through every endpoint. ``requires_role`` exists
for the cases where the role itself is the point (an admin console).

A refusal is 403 Forbidden with the reason (RFC 9110 §15.5.4: the server
understood who you are and refuses): which permission is missing and which
roles the user has. 401 is for "who are you?", and comes from the
authentication dependency below (see miniauth.security).

Role inheritance is resolved once, when the table is built; a cycle
("a" inherits "b" inherits "a") or an unknown role name is refused there,
with the chain named, rather than discovered during a request.

The table and its checks are plain Python; only ``RoleBasedAccess`` turns
them into miniasgi dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from miniasgi.exceptions import HTTPException
from miniasgi.params import Depends

EVERY_PERMISSION = "*"


class Roles:
    """A table of roles, each granting permissions and inheriting other roles' grants."""

    def __init__(
        self,
        grants: Mapping[str, Iterable[str]],
        *,
        inherits: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._direct = {role: frozenset(permissions) for role, permissions in grants.items()}
        self._parents = {role: tuple(parents) for role, parents in (inherits or {}).items()}
        for role, parents in self._parents.items():
            for name in (role, *parents):
                if name not in self._direct:
                    raise ValueError(f"role {name!r} in inherits= is not defined in the table")
        self._resolved = {role: self._resolve(role, ()) for role in self._direct}

    def _resolve(self, role: str, chain: tuple[str, ...]) -> frozenset[str]:
        if role in chain:
            raise ValueError(f"roles inherit in a cycle: {' -> '.join((*chain, role))}")
        permissions = set(self._direct[role])
        for parent in self._parents.get(role, ()):
            permissions |= self._resolve(parent, (*chain, role))
        return frozenset(permissions)

    @property
    def names(self) -> list[str]:
        return list(self._direct)

    def permissions_of(self, roles: Iterable[str]) -> frozenset[str]:
        """Every permission the ``roles`` grant together; unknown role names grant nothing."""
        granted: set[str] = set()
        for role in roles:
            granted |= self._resolved.get(role, frozenset())
        return frozenset(granted)

    def missing(self, roles: Iterable[str], required: Iterable[str]) -> list[str]:
        """The ``required`` permissions that ``roles`` do not grant, in order."""
        granted = self.permissions_of(roles)
        if EVERY_PERMISSION in granted:
            return []
        return [permission for permission in required if permission not in granted]


def roles_of_user(user: Any) -> list[str]:
    """The roles of a user: ``user["roles"]`` for mappings (token claims), else ``user.roles``."""
    roles = user.get("roles", ()) if isinstance(user, Mapping) else getattr(user, "roles", ())
    if isinstance(roles, str):
        return roles.split()  # a space-separated string, like an OAuth2 scope claim
    return list(roles or ())


class RoleBasedAccess:
    """Makes dependencies that let a request through only with the right permissions or roles.

    ``current_user`` is the app's dependency that authenticates (answering 401);
    ``roles_of`` reads a user's roles (default: ``roles_of_user``).
    """

    def __init__(
        self,
        roles: Roles,
        *,
        current_user: Callable[..., Any],
        roles_of: Callable[[Any], Iterable[str]] = roles_of_user,
    ) -> None:
        self.roles = roles
        self.current_user = current_user
        self.roles_of = roles_of

    def requires(self, *permissions: str) -> Callable[..., Any]:
        """A dependency that returns the current user if their roles grant all ``permissions``."""
        if not permissions:
            raise ValueError(
                "requires() needs at least one permission, e.g. requires('items:write')"
            )

        def check_permissions(user: Any = Depends(self.current_user)) -> Any:
            user_roles = list(self.roles_of(user))
            missing = self.roles.missing(user_roles, permissions)
            if missing:
                raise HTTPException(
                    403,
                    f"permission denied: this needs {missing}, which your roles "
                    f"{user_roles} do not grant",
                )
            return user

        check_permissions.__name__ = f"requires_{'_'.join(permissions)}"
        return check_permissions

    def requires_role(self, *roles: str) -> Callable[..., Any]:
        """A dependency that returns the current user if they have at least one of ``roles``."""
        unknown = [role for role in roles if role not in self.roles.names]
        if not roles or unknown:
            raise ValueError(
                f"requires_role() needs defined roles; unknown: {unknown or 'none given'}"
            )

        def check_role(user: Any = Depends(self.current_user)) -> Any:
            user_roles = list(self.roles_of(user))
            if not any(role in user_roles for role in roles):
                raise HTTPException(
                    403,
                    f"permission denied: this needs the role {' or '.join(roles)}; "
                    f"you have {user_roles}",
                )
            return user

        check_role.__name__ = f"requires_role_{'_'.join(roles)}"
        return check_role


__all__ = ["EVERY_PERMISSION", "RoleBasedAccess", "Roles", "roles_of_user"]
