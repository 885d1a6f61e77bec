"""Results: what `session.exec(query)` hands back, and how rows take that shape.

`select(User)` promises User instances, `select(User.email)` plain values,
`select(User.email, User.age)` tuples. `shape_rows` keeps that promise: model
columns become instances through the session's identity map
(miniorm.unit_of_work), a single column becomes its values (converted by the
dialect where the driver did not), several elements become tuples.

A `Result` holds the shaped rows and offers the usual ways to take them:
`.all()`, `.first()` (None when empty), `.one()` (exactly one, else an error
that says how many), `.one_or_none()`, `.scalar()`; `rowcount` tells how many
rows an UPDATE or DELETE touched.
"""

from __future__ import annotations

from typing import Any

from .dialects import Dialect
from .errors import MultipleResultsFound, NoResultFound
from .query import Select, is_model


class Result:
    """The rows of one statement. Iterate it, or ask for `.all()`, `.first()`, `.one()`..."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int = -1) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def all(self) -> list[Any]:
        return list(self.rows)

    def first(self) -> Any:
        """The first row, or None when there is none."""
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        """Exactly one row, else NoResultFound / MultipleResultsFound."""
        if not self.rows:
            raise NoResultFound("expected exactly one row, the query returned none")
        if len(self.rows) > 1:
            raise MultipleResultsFound(
                f"expected exactly one row, the query returned {len(self.rows)}: "
                "add a where() that singles one out, or use .first()"
            )
        return self.rows[0]

    def one_or_none(self) -> Any:
        return None if not self.rows else self.one()

    def scalar(self) -> Any:
        """The first column of the first row (or the first instance), None if no row."""
        if not self.rows:
            return None
        first = self.rows[0]
        return first[0] if isinstance(first, tuple) else first

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def shape_rows(query: Select, rows: list[tuple], state: Any) -> list[Any]:
    """Turn raw rows into what `select(...)` promises (instances, values or tuples)."""
    elements = query.elements
    if len(elements) == 1:
        element = elements[0]
        if is_model(element):
            # Without a join, the rows come from the model's table alone: one per key.
            distinct_keys = not query.joins and query.from_model in (None, element)
            return state.plan(element).load(rows, state.identity, distinct_keys)
        return _convert_column(element, [row[0] for row in rows], state.dialect)
    # Several elements: slice each row into its parts.
    parts: list[list[Any]] = []
    position = 0
    for element in elements:
        if is_model(element):
            width = len(element.__table__.columns)
            part = state.plan(element).load([row[position:position + width] for row in rows],
                                            state.identity)
        else:
            width = 1
            part = _convert_column(element, [row[position] for row in rows], state.dialect)
        parts.append(part)
        position += width
    return list(zip(*parts, strict=True)) if parts else []


def _convert_column(element: Any, values: list[Any], dialect: Dialect) -> list[Any]:
    from .fields import Column

    if isinstance(element, Column):
        convert = dialect.loader_for(element)
        if convert is not None:
            return [None if value is None else convert(value) for value in values]
    return values
