"""A neutral description of a schema: tables, columns, indexes, constraints.

Migrations compare two schemas: the one the models describe and the one the
database holds. Both are turned into the same plain objects first, so the
comparison (miniorm.migrations.autogenerate) never needs to know where a
description came from:

    models ──schema_from_models()──┐
                                   ├──> Schema ──compare──> operations
    database ──introspect.py───────┘

A column's type is written as a *type string*, the same in both dialects:

    "int" "float" "str" "bool" "bytes" "date" "datetime" "decimal" "uuid" "json"
    "str(320)"       a string of at most 320 characters (VARCHAR(320))
    "datetime_tz"    a datetime with a time zone (TIMESTAMPTZ on PostgreSQL)
    anything else    SQL written as-is, e.g. "NUMERIC(10, 2)"

`sql_type(type_string, dialect)` turns it into the dialect's own type name;
two columns have the same type when their SQL types are equal, so "decimal"
and "str" differ on PostgreSQL (NUMERIC, TEXT) yet agree on SQLite (both TEXT).

Constraint names follow PostgreSQL's own convention, which miniorm's
`create_all()` uses as well: `<table>_<column>_key` for UNIQUE and
`<table>_<column>_fkey` for FOREIGN KEY, and `ix_<table>_<column>` for indexes.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from ..dialects import Dialect, enum_value_kind
from ..errors import MiniORMError

VERSION_TABLE = "miniorm_version"
MAX_LENGTH_TYPE = re.compile(r"^str\((\d+)\)$")


class MigrationError(MiniORMError):
    """A migration could not be planned or run; the message says what to do."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column: name, type string, NULL allowed, primary key, server default (SQL text)."""

    name: str
    type: str
    nullable: bool = True
    primary_key: bool = False
    autoincrement: bool = False  # an integer primary key the database generates
    server_default: str | None = None


@dataclass(frozen=True)
class IndexSpec:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class UniqueSpec:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKeySpec:
    name: str
    columns: tuple[str, ...]
    target_table: str
    target_columns: tuple[str, ...]
    on_delete: str | None = None  # None is SQL's default, NO ACTION

    def __post_init__(self) -> None:
        if self.on_delete == "NO ACTION":
            object.__setattr__(self, "on_delete", None)


@dataclass
class TableSpec:
    name: str
    columns: list[ColumnSpec]
    indexes: list[IndexSpec] = field(default_factory=list)
    uniques: list[UniqueSpec] = field(default_factory=list)
    foreign_keys: list[ForeignKeySpec] = field(default_factory=list)

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise MigrationError(
            f"table {self.name!r} has no column {name!r} (it has "
            f"{', '.join(c.name for c in self.columns)}): check the name in the revision file"
        )

    def copy(self) -> TableSpec:
        return copy.deepcopy(self)


Schema = dict[str, TableSpec]


def sql_type(type_string: str, dialect: Dialect) -> str:
    """The dialect's SQL type for a type string (see the module docstring)."""
    match = MAX_LENGTH_TYPE.match(type_string)
    if match:
        return f"VARCHAR({int(match.group(1))})"
    if type_string in dialect.type_names:
        return dialect.type_names[type_string]
    return type_string


def normalized_sql_type(type_string: str, dialect: Dialect) -> str:
    """The SQL type, upper-cased and without spaces: what "same type" compares."""
    return re.sub(r"\s+", "", sql_type(type_string, dialect)).upper()


def type_string_of(column: Any) -> str:
    """The type string of a model's Column (miniorm.fields.Column)."""
    kind = column.kind
    if kind == "enum":
        kind = enum_value_kind(column.python_type)  # stored as its values' type
    if kind == "str" and column.max_length:
        return f"str({int(column.max_length)})"
    if kind == "datetime" and column.timezone:
        return "datetime_tz"
    return kind


def table_from_model(model: Any) -> TableSpec:
    """The TableSpec that `create_all()` would create for `model`."""
    table = model.__table__
    columns, indexes, uniques, foreign_keys = [], [], [], []
    for column in table.columns.values():
        columns.append(ColumnSpec(
            name=column.name, type=type_string_of(column), nullable=column.nullable,
            primary_key=column.primary_key, autoincrement=column.autoincrement,
        ))
        if column.unique and not column.primary_key:
            uniques.append(UniqueSpec(f"{table.name}_{column.name}_key", (column.name,)))
        elif column.index and not column.primary_key:
            indexes.append(IndexSpec(f"ix_{table.name}_{column.name}", (column.name,)))
        if column.foreign_key:
            target_table, target_column = column.foreign_key.split(".")
            foreign_keys.append(ForeignKeySpec(
                f"{table.name}_{column.name}_fkey", (column.name,), target_table,
                (target_column,), column.on_delete,
            ))
    return TableSpec(table.name, columns, indexes, uniques, foreign_keys)


def schema_from_models(models: list[Any]) -> Schema:
    """The schema a list of models describes, by table name."""
    return {model.__table__.name: table_from_model(model) for model in models}


def creation_order(schema: Schema, names: list[str] | None = None) -> list[str]:
    """Table names (all, or `names`) so that referenced tables come before referrers."""
    wanted = list(schema if names is None else names)
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return  # done, or a cycle (a self-reference): nothing more to order
        visiting.add(name)
        for foreign_key in schema[name].foreign_keys:
            if foreign_key.target_table in wanted:
                visit(foreign_key.target_table)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(wanted):
        visit(name)
    return ordered
