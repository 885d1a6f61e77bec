"""Column expressions: Python operators that build a tree instead of a value.

`User.age >= 18` does not compare anything. `User.age` is a column object and
its `__ge__` returns a `Comparison` node holding the column, the operator and a
`Parameter` wrapping 18. Queries keep these trees; the compiler
(`miniorm.compiler`) walks them and writes SQL text with placeholders, and the
values travel separately as parameters. That separation is the whole defence
against SQL injection: a value never becomes part of the SQL text.

The operators and the SQL they become::

    a == b, a != b, a < b ...     a = b, a <> b, a < b ...   (== None becomes IS NULL)
    x & y, x | y, ~x              x AND y, x OR y, NOT x     (Python's and/or cannot
                                                               be overloaded, so & | ~)
    a.in_([1, 2]), a.not_in(...)  a IN (?, ?), a NOT IN (...)
    a.like("x%"), a.ilike("x%")   a LIKE ?, case-insensitive LIKE
    a.is_(None), a.is_not(None)   a IS NULL, a IS NOT NULL
    a.between(1, 9)               a BETWEEN ? AND ?
    a + 1, a - b, a * 2, a / 2    (a + ?) ...                (e.g. in update().values())
    a.desc(), a.asc()             ORDER BY a DESC / ASC
    func.count(), func.lower(a)   count(*), lower(a)

Because `==` is overloaded, a column cannot be compared with `==` for identity;
columns keep the default `__hash__` so they still work as dictionary keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import QueryError


class Expression:
    """Any node of an expression tree; the operators below build new nodes."""

    __slots__ = ()

    # Comparison operators return nodes, so the default hash must be restored by hand.
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> Expression:  # type: ignore[override]
        if other is None:
            return IsNull(self, negated=False)
        return Comparison(self, "=", as_expression(other, self))

    def __ne__(self, other: Any) -> Expression:  # type: ignore[override]
        if other is None:
            return IsNull(self, negated=True)
        return Comparison(self, "<>", as_expression(other, self))

    def __lt__(self, other: Any) -> Expression:
        return Comparison(self, "<", as_expression(other, self))

    def __le__(self, other: Any) -> Expression:
        return Comparison(self, "<=", as_expression(other, self))

    def __gt__(self, other: Any) -> Expression:
        return Comparison(self, ">", as_expression(other, self))

    def __ge__(self, other: Any) -> Expression:
        return Comparison(self, ">=", as_expression(other, self))

    def __and__(self, other: Any) -> Expression:
        return BooleanGroup("AND", (self, require_expression(other, "&")))

    def __or__(self, other: Any) -> Expression:
        return BooleanGroup("OR", (self, require_expression(other, "|")))

    def __invert__(self) -> Expression:
        return Not(self)

    def __bool__(self) -> bool:
        raise QueryError(
            "an SQL expression has no truth value: write `(a == 1) & (b == 2)` instead of "
            "`a == 1 and b == 2`, and `~x` instead of `not x`"
        )

    def __add__(self, other: Any) -> Expression:
        return Arithmetic(self, "+", as_expression(other, self))

    def __sub__(self, other: Any) -> Expression:
        return Arithmetic(self, "-", as_expression(other, self))

    def __mul__(self, other: Any) -> Expression:
        return Arithmetic(self, "*", as_expression(other, self))

    def __truediv__(self, other: Any) -> Expression:
        return Arithmetic(self, "/", as_expression(other, self))

    def in_(self, values: Iterable[Any]) -> Expression:
        return InList(self, tuple(as_expression(value, self) for value in values), False)

    def not_in(self, values: Iterable[Any]) -> Expression:
        return InList(self, tuple(as_expression(value, self) for value in values), True)

    def like(self, pattern: str) -> Expression:
        return Like(self, as_expression(pattern, None), case_insensitive=False)

    def ilike(self, pattern: str) -> Expression:
        return Like(self, as_expression(pattern, None), case_insensitive=True)

    def is_(self, value: None) -> Expression:
        if value is not None:
            raise QueryError(f"is_() compares with None only, got {value!r}: use == for values")
        return IsNull(self, negated=False)

    def is_not(self, value: None) -> Expression:
        if value is not None:
            raise QueryError(f"is_not() compares with None only, got {value!r}: use != instead")
        return IsNull(self, negated=True)

    def between(self, low: Any, high: Any) -> Expression:
        return Between(self, as_expression(low, self), as_expression(high, self))

    def desc(self) -> Ordering:
        return Ordering(self, "DESC")

    def asc(self) -> Ordering:
        return Ordering(self, "ASC")


class Parameter(Expression):
    """A value that travels as a query parameter. `column` (if any) tells its type."""

    __slots__ = ("value", "column")

    def __init__(self, value: Any, column: Any = None) -> None:
        self.value = value
        self.column = column

    def __repr__(self) -> str:
        return f"Parameter({self.value!r})"


class Comparison(Expression):
    __slots__ = ("left", "operator", "right")

    def __init__(self, left: Expression, operator: str, right: Expression) -> None:
        self.left, self.operator, self.right = left, operator, right


class Arithmetic(Expression):
    """`a + b`, `a - b`, `a * b`, `a / b`: always written in parentheses."""

    __slots__ = ("left", "operator", "right")

    def __init__(self, left: Expression, operator: str, right: Expression) -> None:
        self.left, self.operator, self.right = left, operator, right


class BooleanGroup(Expression):
    """Clauses joined by AND or OR; nested groups of the same operator are flattened."""

    __slots__ = ("operator", "clauses")

    def __init__(self, operator: str, clauses: Iterable[Expression]) -> None:
        flat: list[Expression] = []
        for clause in clauses:
            if isinstance(clause, BooleanGroup) and clause.operator == operator:
                flat.extend(clause.clauses)
            else:
                flat.append(clause)
        self.operator, self.clauses = operator, tuple(flat)


class Not(Expression):
    __slots__ = ("clause",)

    def __init__(self, clause: Expression) -> None:
        self.clause = clause


class InList(Expression):
    __slots__ = ("element", "values", "negated")

    def __init__(self, element: Expression, values: tuple[Expression, ...], negated: bool):
        self.element, self.values, self.negated = element, values, negated


class Like(Expression):
    __slots__ = ("element", "pattern", "case_insensitive")

    def __init__(self, element: Expression, pattern: Expression, case_insensitive: bool):
        self.element, self.pattern, self.case_insensitive = element, pattern, case_insensitive


class IsNull(Expression):
    __slots__ = ("element", "negated")

    def __init__(self, element: Expression, negated: bool) -> None:
        self.element, self.negated = element, negated


class Between(Expression):
    __slots__ = ("element", "low", "high")

    def __init__(self, element: Expression, low: Expression, high: Expression) -> None:
        self.element, self.low, self.high = element, low, high


class Ordering:
    """`column DESC` or `column ASC`: only valid inside order_by()."""

    __slots__ = ("element", "direction")

    def __init__(self, element: Expression, direction: str) -> None:
        self.element, self.direction = element, direction


class Star(Expression):
    """The `*` of `count(*)`."""

    __slots__ = ()


class FunctionCall(Expression):
    __slots__ = ("name", "arguments")

    def __init__(self, name: str, arguments: tuple[Expression, ...]) -> None:
        self.name, self.arguments = name, arguments


# A function name is written into the SQL text, so it must be a plain identifier.
FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _FunctionFactory:
    """`func.count()`, `func.lower(User.email)`, `func.max(User.age)`: any SQL function.

    The attribute name becomes the function name; it must be a plain identifier,
    checked here, because it is the one piece of a query written as text.
    `func.count()` with no argument means `count(*)`.
    """

    def __getattr__(self, name: str):
        if name.startswith("__") or not FUNCTION_NAME.match(name):
            raise AttributeError(name)

        def call(*arguments: Any) -> FunctionCall:
            if name.lower() == "count" and not arguments:
                return FunctionCall(name, (Star(),))
            return FunctionCall(name, tuple(as_expression(argument, None) for argument in arguments))

        call.__name__ = name
        return call


func = _FunctionFactory()


def as_expression(value: Any, column: Any) -> Expression:
    """Wrap a plain Python value as a Parameter typed like `column`; leave nodes alone."""
    if isinstance(value, Expression):
        return value
    return Parameter(value, column if isinstance(column, ColumnLike) else None)


def require_expression(value: Any, operator: str) -> Expression:
    if not isinstance(value, Expression):
        raise QueryError(
            f"`{operator}` joins SQL conditions, got {value!r}: "
            "write both sides as conditions, e.g. (User.age > 1) & (User.name == 'x')"
        )
    return value


class ColumnLike(Expression):
    """Marker base for columns (defined in miniorm.fields); Parameters borrow their type."""

    __slots__ = ()


def escape_like(text: str) -> str:
    """Escape LIKE's wildcards so that `text` (e.g. a user's search words) matches literally.

    `%` and `_` are LIKE's wildcards and backslash its escape character here
    (the compiler writes `ESCAPE '\\'`); each gets a backslash in front:
    `User.name.like("%" + escape_like(words) + "%")` searches for the words as typed.
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def and_(*clauses: Expression) -> Expression:
    """All of `clauses` (the same as joining them with `&`)."""
    return BooleanGroup("AND", tuple(require_expression(c, "and_") for c in clauses))


def or_(*clauses: Expression) -> Expression:
    """Any of `clauses` (the same as joining them with `|`)."""
    return BooleanGroup("OR", tuple(require_expression(c, "or_") for c in clauses))
