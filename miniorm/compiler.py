"""The SQL compiler: a query object in, SQL text and parameters out. Pure.

    >>> compile(select(User).where(User.email == "a@b.c").limit(1), SqliteDialect())
    ('SELECT "user"."id", "user"."email" FROM "user" WHERE "user"."email" = ? LIMIT ?',
     ['a@b.c', 1])

`compile()` opens no connection, awaits nothing and reads no clock: it walks
the query's expression tree and writes text. That is the sans-I/O cut of this
ORM, and it is why one compiler serves both the blocking `Session` and the
`AsyncSession` (see miniorm.async_session for why that matters).

Two rules hold for everything written here:

1. **Values are always parameters.** Every Python value becomes a placeholder
   (`?` or `$1`) in the text and an entry in the parameter list, converted by
   the dialect for its column. Even LIMIT and OFFSET travel as parameters.
2. **Identifiers are always quoted.** Table and column names are wrapped in
   double quotes (SQL:2016 §5.4 delimited identifiers), so a column called
   `order` or a table called `user` (both reserved words) just works, and a
   name cannot end the identifier early.

The statements, in the order their clauses appear::

    SELECT cols FROM t [JOIN u ON ...] [WHERE ...] [GROUP BY ...] [ORDER BY ...]
           [LIMIT ?] [OFFSET ?]
    INSERT INTO t (cols) VALUES (?, ...), ... [RETURNING cols]   (or DEFAULT VALUES)
    UPDATE t SET col = ?, ... [WHERE ...]
    DELETE FROM t [WHERE ...]

SQLite accepts OFFSET only after a LIMIT, so an offset without a limit is
written `LIMIT -1 OFFSET ?` there (SQLite: "a negative LIMIT means no limit").
"""

from __future__ import annotations

from typing import Any

from .dialects import Dialect
from .errors import QueryError
from .expressions import (
    Arithmetic,
    Between,
    BooleanGroup,
    Comparison,
    Expression,
    FunctionCall,
    InList,
    IsNull,
    Like,
    Not,
    Ordering,
    Parameter,
    Star,
)
from .fields import Column
from .query import Delete, Insert, Select, Update, is_model


def compile(query: Any, dialect: Dialect) -> tuple[str, list[Any]]:  # noqa: A001 - the word
    """Return `(sql, params)` for a Select, Insert, Update or Delete.

    Queries are immutable (every builder method returns a copy), so the result
    is cached on the query object per dialect: a query built once at import
    time and run a thousand times is compiled once.
    """
    cache = getattr(query, "__dict__", None)
    cache_key = ("_compiled", dialect.name)
    if cache is not None and cache_key in cache:
        sql, params = cache[cache_key]
        return sql, list(params)
    writer = SQLWriter(dialect)
    try:
        method = STATEMENT_WRITERS[type(query)]
    except KeyError:
        raise QueryError(
            f"cannot compile {query!r}: pass select(...), insert(...), update(...) or delete(...)"
        ) from None
    sql = method(writer, query)
    if cache is not None:
        cache[cache_key] = (sql, tuple(writer.params))
    return sql, writer.params


class SQLWriter:
    """Accumulates parameters while the statement writers produce text."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.quote = dialect.quote
        self.params: list[Any] = []

    def parameter(self, value: Any, column: Column | None = None) -> str:
        if column is not None:
            value = self.dialect.to_database(column, value)
        else:
            value = self.dialect.adapt_untyped(value)
        self.params.append(value)
        return self.dialect.placeholder(len(self.params))

    def column(self, column: Column) -> str:
        return f"{self.quote(column.model.__table__.name)}.{self.quote(column.name)}"

    def expression(self, node: Any) -> str:
        try:
            method = EXPRESSION_WRITERS[type(node)]
        except KeyError:
            if isinstance(node, Column):
                return self.column(node)
            raise QueryError(f"cannot write {node!r} as SQL: it is not an expression") from None
        return method(self, node)

    # -- expressions --------------------------------------------------------
    def write_parameter(self, node: Parameter) -> str:
        return self.parameter(node.value, node.column)

    def write_comparison(self, node: Comparison) -> str:
        return f"{self.expression(node.left)} {node.operator} {self.expression(node.right)}"

    def write_arithmetic(self, node: Arithmetic) -> str:
        return f"({self.expression(node.left)} {node.operator} {self.expression(node.right)})"

    def write_boolean_group(self, node: BooleanGroup) -> str:
        parts = [self.expression(clause) for clause in node.clauses]
        return "(" + f" {node.operator} ".join(parts) + ")"

    def write_not(self, node: Not) -> str:
        return f"NOT ({self.expression(node.clause)})"

    def write_in_list(self, node: InList) -> str:
        if not node.values:  # `x IN ()` is a syntax error: an empty list matches nothing
            return "1 = 1" if node.negated else "1 = 0"
        values = ", ".join(self.expression(value) for value in node.values)
        keyword = "NOT IN" if node.negated else "IN"
        return f"{self.expression(node.element)} {keyword} ({values})"

    def write_like(self, node: Like) -> str:
        element, pattern = self.expression(node.element), self.expression(node.pattern)
        if node.case_insensitive:
            return self.dialect.case_insensitive_like(element, pattern)
        # ESCAPE '\' makes backslash the escape character on both databases alike.
        return f"{element} LIKE {pattern} ESCAPE '\\'"

    def write_is_null(self, node: IsNull) -> str:
        return f"{self.expression(node.element)} IS {'NOT NULL' if node.negated else 'NULL'}"

    def write_between(self, node: Between) -> str:
        return (f"{self.expression(node.element)} BETWEEN {self.expression(node.low)} "
                f"AND {self.expression(node.high)}")

    def write_star(self, node: Star) -> str:
        return "*"

    def write_function(self, node: FunctionCall) -> str:
        arguments = ", ".join(self.expression(argument) for argument in node.arguments)
        return f"{node.name}({arguments})"

    # -- clauses ------------------------------------------------------------
    def where(self, conditions: tuple[Expression, ...]) -> str:
        if not conditions:
            return ""
        if len(conditions) == 1:
            text = self.expression(conditions[0])
        else:
            text = " AND ".join(self.expression(condition) for condition in conditions)
        return f" WHERE {text}"

    def ordering(self, ordering: Ordering) -> str:
        return f"{self.expression(ordering.element)} {ordering.direction}"

    def selected(self, element: Any) -> str:
        if is_model(element):
            table = self.quote(element.__table__.name)
            return ", ".join(f"{table}.{self.quote(name)}" for name in element.__table__.columns)
        return self.expression(element)

    # -- statements ---------------------------------------------------------
    def write_select(self, query: Select) -> str:
        base = query.base_model
        columns = ", ".join(self.selected(element) for element in query.elements)
        sql = f"SELECT {columns}"
        if base is not None:
            sql += f" FROM {self.quote(base.__table__.name)}"
        for join in query.joins:
            keyword = "LEFT OUTER JOIN" if join.outer else "JOIN"
            sql += f" {keyword} {self.quote(join.model.__table__.name)} ON {self.expression(join.on)}"
        sql += self.where(query.conditions)
        if query.groupings:
            sql += " GROUP BY " + ", ".join(self.expression(g) for g in query.groupings)
        if query.orderings:
            sql += " ORDER BY " + ", ".join(self.ordering(o) for o in query.orderings)
        if query.limit_count is not None:
            sql += f" LIMIT {self.parameter(query.limit_count)}"
        elif query.offset_count is not None and self.dialect.name == "sqlite":
            sql += " LIMIT -1"
        if query.offset_count is not None:
            sql += f" OFFSET {self.parameter(query.offset_count)}"
        return sql

    def write_insert(self, query: Insert) -> str:
        table = query.model.__table__
        sql = f"INSERT INTO {self.quote(table.name)}"
        rows = query.rows or ({},)
        names = list(rows[0])
        if not names:
            if len(rows) > 1:
                raise QueryError("a multi-row insert needs at least one field per row")
            sql += " DEFAULT VALUES"
        else:
            columns = [table.column(name) for name in names]
            sql += " (" + ", ".join(self.quote(name) for name in names) + ") VALUES "
            sql += ", ".join(
                "(" + ", ".join(self.parameter(row[c.name], c) for c in columns) + ")"
                for row in rows
            )
        if query.returning_columns:
            sql += self.returning(query.returning_columns)
        return sql

    def returning(self, columns: tuple[Column, ...]) -> str:
        if not self.dialect.supports_returning:
            raise QueryError(
                "this SQLite is older than 3.35 and has no RETURNING: upgrade SQLite/Python"
            )
        return " RETURNING " + ", ".join(self.quote(column.name) for column in columns)

    def write_update(self, query: Update) -> str:
        if not query.assignments:
            raise QueryError("update() has nothing to set: add .values(field=value)")
        table = query.model.__table__
        assignments = []
        for name, value in query.assignments.items():
            column = table.column(name)
            value_sql = (self.expression(value) if isinstance(value, Expression)
                         else self.parameter(value, column))
            assignments.append(f"{self.quote(name)} = {value_sql}")
        sql = f"UPDATE {self.quote(table.name)} SET " + ", ".join(assignments)
        return sql + self.where(query.conditions)

    def write_delete(self, query: Delete) -> str:
        sql = f"DELETE FROM {self.quote(query.model.__table__.name)}"
        return sql + self.where(query.conditions)


EXPRESSION_WRITERS = {
    Parameter: SQLWriter.write_parameter,
    Comparison: SQLWriter.write_comparison,
    Arithmetic: SQLWriter.write_arithmetic,
    BooleanGroup: SQLWriter.write_boolean_group,
    Not: SQLWriter.write_not,
    InList: SQLWriter.write_in_list,
    Like: SQLWriter.write_like,
    IsNull: SQLWriter.write_is_null,
    Between: SQLWriter.write_between,
    Star: SQLWriter.write_star,
    FunctionCall: SQLWriter.write_function,
    Column: SQLWriter.column,
}

STATEMENT_WRITERS = {
    Select: SQLWriter.write_select,
    Insert: SQLWriter.write_insert,
    Update: SQLWriter.write_update,
    Delete: SQLWriter.write_delete,
}
