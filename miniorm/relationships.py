"""Relationships: rows of another table, reached through a foreign key.

    class User(Model):
        id: int | None = Field(default=None, primary_key=True)
        todos: list[Todo] = Relationship()            # one user, many todos

    class Todo(Model):
        id: int | None = Field(default=None, primary_key=True)
        owner_id: int = Field(foreign_key="user.id", on_delete="CASCADE")
        owner: User | None = Relationship()           # each todo, one owner

The foreign key says how the tables connect; the annotation says which way
(`list[...]` is one-to-many, a single class is many-to-one). The other model is
named in the annotation, so it may be defined later; it is looked up on first use.

Nothing is ever loaded behind your back. Reading `user.todos` before it was
loaded raises NotLoadedError instead of running a query, because a hidden query
inside an attribute read cannot be awaited (an async session would block the
event loop) and hides the N+1 problem. Two explicit ways load it:

- `session.load(user, "todos")`: one query for one instance (lazy, but visible);
- `select(User).options(selectinload(User.todos))`: after the users come back,
  ONE more query fetches the todos of all of them
  (`SELECT ... FROM todo WHERE owner_id IN (?, ?, ...)`) and hands each user
  its list. That is "select-in" eager loading, named as in SQLAlchemy.

`plan_load()` is pure: it returns the query to run and a function that spreads
the rows over the parents, so the sync and async sessions share it.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ConfigurationError, NotLoadedError


class Relationship:
    """Declare a relationship; `model="Todo"` names the other side when the hint cannot."""

    def __init__(self, model: str | None = None) -> None:
        self.target_name = model
        self.name = ""
        self.annotation: Any = None
        self.owner: Any = None
        self._resolved: tuple | None = None

    def attach(self, owner: type) -> None:
        self.owner = owner
        many, target = parse_relationship_annotation(self.annotation)
        self.many = many
        self.target_name = self.target_name or target
        if not self.target_name:
            raise ConfigurationError(
                f"{owner.__name__}.{self.name}: cannot tell the related model from the "
                f"annotation {self.annotation!r}: write Relationship(model='ClassName')"
            )

    def resolve(self) -> tuple[Any, Any, Any]:
        """Return (target model, parent's key column, target's matching column)."""
        if self._resolved is None:
            from .model import MODEL_REGISTRY, MODELS_BY_MODULE

            neighbours = MODELS_BY_MODULE.get(self.owner.__module__, {})
            target = neighbours.get(self.target_name) or MODEL_REGISTRY.get(self.target_name)
            if target is None:
                raise ConfigurationError(
                    f"{self.owner.__name__}.{self.name} refers to model {self.target_name!r}, "
                    "which is not defined (or its module is not imported yet)"
                )
            if self.many:  # the target holds a foreign key to us
                remote = find_foreign_key(target, self.owner)
                local = self.owner.__table__.column(remote.foreign_key.split(".")[1])
            else:  # we hold a foreign key to the target
                local = find_foreign_key(self.owner, target)
                remote = target.__table__.column(local.foreign_key.split(".")[1])
            self._resolved = (target, local, remote)
        return self._resolved

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        # Reached only when the instance's __dict__ holds no loaded value.
        raise NotLoadedError(
            f"{owner.__name__}.{self.name} is not loaded, and miniorm never loads it behind "
            f"your back: call session.load(obj, {self.name!r}), or query with "
            f".options(selectinload({owner.__name__}.{self.name}))"
        )


def parse_relationship_annotation(annotation: Any) -> tuple[bool, str | None]:
    """`list[Todo]` -> (True, "Todo"); `User | None` -> (False, "User")."""
    if not isinstance(annotation, str):
        if typing.get_origin(annotation) is list:
            (argument,) = typing.get_args(annotation)
            return True, _name_of(argument)
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        return False, _name_of(arguments[0] if arguments else annotation)
    text = annotation.replace('"', "").replace("'", "").replace(" ", "")
    many = text.startswith(("list[", "List[", "typing.List["))
    names = [n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)
             if n not in ("list", "List", "typing", "Optional", "None")]
    return many, (names[0] if names else None)


def _name_of(argument: Any) -> str | None:
    if isinstance(argument, str):
        return argument
    if isinstance(argument, typing.ForwardRef):
        return argument.__forward_arg__
    return getattr(argument, "__name__", None)


def find_foreign_key(holder: Any, referenced: Any) -> Any:
    table = referenced.__table__.name
    found = [c for c in holder.__table__.columns.values()
             if c.foreign_key and c.foreign_key.split(".")[0] == table]
    if len(found) != 1:
        raise ConfigurationError(
            f"a relationship between {holder.__name__} and {referenced.__name__} needs exactly "
            f"one foreign key in {holder.__name__} to {table!r}, found {len(found)}"
        )
    return found[0]


class SelectInLoad:
    """A query option: after the main rows, load `relationship` for all of them at once."""

    def __init__(self, relationship: Relationship) -> None:
        self.relationship = relationship


def selectinload(attribute: Any) -> SelectInLoad:
    """Eager-load a relationship with one extra `WHERE key IN (...)` query."""
    if not isinstance(attribute, Relationship):
        raise ConfigurationError(
            f"selectinload() takes a relationship such as User.todos, got {attribute!r}"
        )
    return SelectInLoad(attribute)


def plan_load(
    relationship: Relationship, parents: Sequence[Any]
) -> tuple[Any | None, Callable[[list[Any]], None]]:
    """Return (query or None when nothing to fetch, assign(rows)) for `parents`."""
    from .query import select

    target, local, remote = relationship.resolve()
    keys = list(dict.fromkeys(
        parent.__dict__.get(local.name) for parent in parents
        if parent.__dict__.get(local.name) is not None
    ))
    query = None
    if keys:
        query = (select(target).where(remote.in_(keys))
                 .order_by(target.__table__.primary_key))
    name, many = relationship.name, relationship.many

    def assign(rows: list[Any]) -> None:
        grouped: dict[Any, list[Any]] = {}
        for row in rows:
            grouped.setdefault(row.__dict__[remote.name], []).append(row)
        for parent in parents:
            matches = grouped.get(parent.__dict__.get(local.name), [])
            parent.__dict__[name] = list(matches) if many else (matches[0] if matches else None)

    return query, assign
