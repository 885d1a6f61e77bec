"""Query builders: select, insert, update, delete, as objects you can inspect.

A query is a description, not an action:

    query = (select(User)
             .where(User.email.like("%@example.com"), User.age >= 18)
             .order_by(User.created_at.desc())
             .limit(10).offset(20))

builds a `Select` object and runs nothing. `miniorm.compiler.compile(query,
dialect)` turns it into SQL text and a list of parameters; a session runs that.
Each method returns a *new* query (the builders are generative, as in
SQLAlchemy), so a base query can be shared and refined without surprises.

Input that may come from a user is checked here, at the door:

- `order_by("name")` / `order_by("-name")` accept a field name of the model,
  with "-" for descending; an unknown name raises QueryError listing the real
  columns, so a request's `?sort=` can be passed through safely;
- `limit()` and `offset()` take non-negative ints, sent as parameters;
- `values(...)` and `where_by(...)` accept only names of columns.

What a select returns, per row: `select(User)` gives User instances;
`select(User.id)` or `select(func.count())` (one element) give the plain value;
several elements give tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import QueryError
from .expressions import Expression, Ordering, require_expression
from .fields import Column
from .relationships import SelectInLoad


def is_model(thing: Any) -> bool:
    return isinstance(thing, type) and hasattr(thing, "__table__")


def require_model(thing: Any, verb: str) -> Any:
    if not is_model(thing):
        raise QueryError(f"{verb}() takes a model class such as User, got {thing!r}")
    return thing


def require_count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise QueryError(f"{what}() takes a non-negative int, got {value!r}")
    return value


class Join:
    __slots__ = ("model", "on", "outer")

    def __init__(self, model: Any, on: Expression, outer: bool) -> None:
        self.model, self.on, self.outer = model, on, outer


class Query:
    """Shared by every builder: copying and WHERE clauses."""

    def _copy(self):
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        for key in [key for key in clone.__dict__ if isinstance(key, tuple)]:
            del clone.__dict__[key]  # the compiled-SQL cache belongs to the original
        return clone

    def where(self, *conditions: Expression):
        """Add conditions; several arguments (and several calls) are joined with AND."""
        clone = self._copy()
        clone.conditions = self.conditions + tuple(
            require_expression(condition, "where") for condition in conditions
        )
        return clone


class Select(Query):
    def __init__(self, elements: tuple[Any, ...]) -> None:
        if not elements:
            raise QueryError("select() needs something to select: a model, columns or func.x()")
        for element in elements:
            if not (is_model(element) or isinstance(element, Expression)):
                raise QueryError(
                    f"select() takes models, columns or functions, got {element!r}"
                )
        self.elements = elements
        self.from_model: Any = None
        self.conditions: tuple[Expression, ...] = ()
        self.joins: tuple[Join, ...] = ()
        self.orderings: tuple[Ordering, ...] = ()
        self.groupings: tuple[Expression, ...] = ()
        self.limit_count: int | None = None
        self.offset_count: int | None = None
        self.load_options: tuple[SelectInLoad, ...] = ()

    @property
    def base_model(self) -> Any:
        """The model the FROM clause starts with (None for e.g. `select(func.now())`)."""
        if self.from_model is not None:
            return self.from_model
        for element in self.elements + self.conditions:
            model = model_of(element)
            if model is not None:
                return model
        return None

    def select_from(self, model: Any) -> Select:
        clone = self._copy()
        clone.from_model = require_model(model, "select_from")
        return clone

    def join(self, model: Any, on: Expression | None = None, *, isouter: bool = False) -> Select:
        """JOIN another model, on `on` or else on the one foreign key between them."""
        require_model(model, "join")
        if on is None:
            on = self._foreign_key_condition(model)
        clone = self._copy()
        clone.joins = self.joins + (Join(model, require_expression(on, "join"), isouter),)
        return clone

    def _foreign_key_condition(self, model: Any) -> Expression:
        joined = [self.base_model] + [join.model for join in self.joins]
        for existing in joined:
            for holder, referenced in ((model, existing), (existing, model)):
                for column in holder.__table__.columns.values():
                    if column.foreign_key:
                        table, name = column.foreign_key.split(".")
                        if table == referenced.__table__.name:
                            return column == referenced.__table__.column(name)
        raise QueryError(
            f"no foreign key joins {model.__name__} to "
            f"{', '.join(m.__name__ for m in joined)}: pass on=, e.g. "
            f".join({model.__name__}, on={model.__name__}.x == Other.y)"
        )

    def order_by(self, *items: Any) -> Select:
        """Order by columns, `col.desc()`, or field names ("name", "-name" descending)."""
        orderings = []
        for item in items:
            if isinstance(item, Ordering):
                orderings.append(item)
            elif isinstance(item, str):
                orderings.append(self._ordering_from_name(item))
            elif isinstance(item, Expression):
                orderings.append(Ordering(item, "ASC"))
            else:
                raise QueryError(f"order_by() takes columns or field names, got {item!r}")
        clone = self._copy()
        clone.orderings = self.orderings + tuple(orderings)
        return clone

    def _ordering_from_name(self, text: str) -> Ordering:
        model = self.base_model
        if model is None:
            raise QueryError(f"order_by({text!r}) needs a model to look the name up in")
        descending = text.startswith("-")
        name = text[1:] if descending else text
        column = model.__table__.column(name)  # raises QueryError for unknown names
        return Ordering(column, "DESC" if descending else "ASC")

    def group_by(self, *columns: Expression) -> Select:
        clone = self._copy()
        clone.groupings = self.groupings + tuple(require_expression(c, "group_by") for c in columns)
        return clone

    def where_by(self, **values: Any) -> Select:
        """`where_by(email="a")` is `where(Model.email == "a")` on the base model."""
        model = self.base_model
        if model is None:
            raise QueryError("where_by() needs a model: select(Model) or select_from(Model)")
        return self.where(*(model.__table__.column(n) == v for n, v in values.items()))

    def limit(self, count: int) -> Select:
        clone = self._copy()
        clone.limit_count = require_count(count, "limit")
        return clone

    def offset(self, count: int) -> Select:
        clone = self._copy()
        clone.offset_count = require_count(count, "offset")
        return clone

    def options(self, *options: SelectInLoad) -> Select:
        if len(self.elements) != 1 or not is_model(self.elements[0]):
            raise QueryError("options(selectinload(...)) needs a select of one model, "
                             "e.g. select(User).options(selectinload(User.todos))")
        for option in options:
            if not isinstance(option, SelectInLoad):
                raise QueryError(f"options() takes selectinload(...), got {option!r}")
            if option.relationship.owner is not self.base_model:
                raise QueryError(
                    f"selectinload({option.relationship.owner.__name__}."
                    f"{option.relationship.name}) does not belong to the selected model"
                )
        clone = self._copy()
        clone.load_options = self.load_options + options
        return clone


def model_of(node: Any) -> Any:
    """The model of the first column found in `node` (a model, column or expression)."""
    if is_model(node):
        return node
    if isinstance(node, Column):
        return node.model
    for slot in getattr(type(node), "__slots__", ()):
        value = getattr(node, slot, None)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, Expression):
                found = model_of(child)
                if found is not None:
                    return found
    return None


def with_defaults(model: Any, row: dict[str, Any]) -> dict[str, Any]:
    for name, column in model.__table__.columns.items():
        if name not in row and column.has_default() and not column.autoincrement:
            row[name] = column.make_default()
    return row


def check_values(model: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    table = model.__table__
    for name in values:
        table.column(name)  # raises QueryError naming the real columns
    return dict(values)


class Insert(Query):
    def __init__(self, model: Any) -> None:
        self.model = require_model(model, "insert")
        self.rows: tuple[dict[str, Any], ...] = ()
        self.returning_columns: tuple[Column, ...] = ()
        self.conditions = ()

    def values(self, rows: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
               **values: Any) -> Insert:
        """One row as keywords or a dict, or several rows as a list of dicts (same keys).

        Fields left out take their Field default or default_factory, as in Model().
        """
        if rows is None:
            new_rows = [values]
        elif isinstance(rows, Mapping):
            new_rows = [{**rows, **values}]
        else:
            new_rows = list(rows)
        checked = tuple(with_defaults(self.model, check_values(self.model, row))
                        for row in new_rows)
        if checked and any(row.keys() != checked[0].keys() for row in checked):
            raise QueryError("every row of a multi-row insert must set the same fields")
        clone = self._copy()
        clone.rows = self.rows + checked
        return clone

    def returning(self, *columns: Column) -> Insert:
        clone = self._copy()
        clone.returning_columns = columns
        return clone


class Update(Query):
    def __init__(self, model: Any) -> None:
        self.model = require_model(model, "update")
        self.conditions: tuple[Expression, ...] = ()
        self.assignments: dict[str, Any] = {}

    def values(self, values: Mapping[str, Any] | None = None, **keywords: Any) -> Update:
        """The columns to set: values may be plain values or expressions."""
        clone = self._copy()
        clone.assignments = {**self.assignments,
                             **check_values(self.model, {**(values or {}), **keywords})}
        return clone


class Delete(Query):
    def __init__(self, model: Any) -> None:
        self.model = require_model(model, "delete")
        self.conditions: tuple[Expression, ...] = ()


def select(*elements: Any) -> Select:
    """Start a SELECT of models, columns or functions (see the module docstring)."""
    return Select(elements)


def insert(model: Any) -> Insert:
    return Insert(model)


def update(model: Any) -> Update:
    """UPDATE every row that matches `.where(...)` (every row if there is no where)."""
    return Update(model)


def delete(model: Any) -> Delete:
    """DELETE every row that matches `.where(...)` (every row if there is no where)."""
    return Delete(model)
