"""Who is calling, and what may they do: passwords, tokens, the current user, roles.

The path of a protected request: `oauth2_scheme` finds the bearer token in the
Authorization header (401 if it is missing or malformed); `current_user`
verifies the token's signature, expiry, issuer and audience with the app's
TokenIssuer (401 with the reason if any check fails) and loads the user it
names; `access.requires(...)` checks the user's roles grant the permission
(403 if not). Each step is a dependency, so an endpoint states what it needs in
its signature and tests can replace any step.

Roles: every user is a "user" and manages their own todos; an "admin" may also
list users and delete anyone's todo.
"""

from __future__ import annotations

from miniasgi import Depends, HTTPException, Request
from miniauth.errors import InvalidTokenError
from miniauth.rbac import RoleBasedAccess, Roles
from miniauth.security import OAuth2PasswordBearer
from miniauth.tokens import TokenIssuer
from miniorm import AsyncSession

from .database import get_session
from .models import User
from .settings import Settings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/token")

ROLES = Roles(
    {"user": ["todos:own"], "admin": ["users:list", "todos:any"]},
    inherits={"admin": ["user"]},
)


def make_token_issuer(settings: Settings) -> TokenIssuer:
    return TokenIssuer(
        settings.secret_key,
        issuer=settings.issuer,
        audience=settings.audience,
        access_ttl=settings.access_token_minutes * 60,
        refresh_ttl=settings.refresh_token_days * 24 * 3600,
    )


def get_token_issuer(request: Request) -> TokenIssuer:
    return request.app.state.token_issuer


def unauthorized(reason: str) -> HTTPException:
    # RFC 6750 §3: the challenge tells the client to come back with a (new) bearer token
    return HTTPException(401, reason, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def current_user(
    token: str = Depends(oauth2_scheme),
    issuer: TokenIssuer = Depends(get_token_issuer),
    session: AsyncSession = Depends(get_session),
) -> User:
    try:
        claims = issuer.verify_access_token(token)
    except InvalidTokenError as error:
        raise unauthorized(str(error)) from None
    user = await session.get(User, int(claims["sub"]))
    if user is None:
        raise unauthorized("the user this token was issued to no longer exists")
    return user


access = RoleBasedAccess(ROLES, current_user=current_user)


def may(user: User, permission: str) -> bool:
    """Whether the user's roles grant `permission` (for checks that depend on the data)."""
    return not ROLES.missing(user.roles.split(), [permission])
