"""Operations: the steps a revision file is written in, and the SQL of each.

A revision's `upgrade()` reads like a list of schema changes:

    from miniorm.migrations import operations as op

    def upgrade():
        op.add_column("todo_item", op.column("priority", "int", nullable=False,
                                             server_default="0"))
        op.create_index("ix_todo_item_priority", "todo_item", ["priority"])

Each function builds an `Operation` object and hands it to the migration
being run (miniorm.migrations.runner), which asks it for SQL and runs that SQL
(or prints it, in offline `--sql` mode). Called outside a migration, they
raise: a revision file is only meaningful inside `upgrade` or `downgrade`.

An Operation is pure, in three ways:

- `statements(dialect, current_table)` -> the SQL strings, for PostgreSQL or
  SQLite. `current_table(name)` gives the table as it is now; only SQLite's
  copy-and-move recipe needs it (miniorm.migrations.sqlite_rebuild).
- `apply(schema)` changes a Schema description the way the SQL changes the
  database: offline mode keeps a simulated schema this way, and SQLite's
  recipe builds "the table after the change" by applying the operation to a
  copy of "the table before".
- `render()` -> the Python call that makes it: what autogenerate writes.

Where the two databases differ (PostgreSQL docs "ALTER TABLE"; SQLite
"ALTER TABLE" §2-§5): PostgreSQL alters a column's type, nullability and
default in place and adds or drops constraints on a live table; SQLite can only
rename a table or a column, add a column, and drop a plain column. Everything
else on SQLite is the copy-and-move recipe: build the new table, copy the rows,
drop the old one, rename the new one into its place.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..dialects import Dialect, quote_identifier
from . import sqlite_rebuild
from .ddl import (
    column_definition,
    create_index_statement,
    create_table_statement,
    foreign_key_clause,
    unique_clause,
)
from .schema import (
    ColumnSpec,
    ForeignKeySpec,
    IndexSpec,
    MigrationError,
    Schema,
    TableSpec,
    UniqueSpec,
    sql_type,
)

TableLookup = Callable[[str], TableSpec]
quote = quote_identifier
UNCHANGED: Any = type("UNCHANGED", (), {"__repr__": lambda self: "UNCHANGED"})()

# The migration being run; the runner sets it around upgrade() and downgrade().
CURRENT_MIGRATION: contextvars.ContextVar[Any] = contextvars.ContextVar("current_migration")


# -- operations -------------------------------------------------------------

def call(function: str, *arguments: Any, multiline: bool = False, **options: Any) -> str:
    """Python source for `op.function(arguments..., option=value...)`, written at column 0.

    A call too long for one line (the house limit is 100 characters, and the text may be
    nested twice) puts each argument on its own line, indented four spaces.
    """
    parts = [argument if isinstance(argument, Source) else repr(argument)
             for argument in arguments]
    parts += [f"{name}={value!r}" for name, value in options.items()]
    one_line = f"op.{function}({', '.join(parts)})"
    if len(one_line) <= 88 and not multiline and "\n" not in one_line:
        return one_line
    return f"op.{function}(\n    " + indent_lines(",\n".join(parts), 4) + ",\n)"


def indent_lines(text: str, spaces: int) -> str:
    """Indent every line of `text` but the first (which goes where the caller puts it)."""
    return text.replace("\n", "\n" + " " * spaces)


class Source(str):
    """Text already written as Python source (not to be repr()'d again)."""


def render_column(column: ColumnSpec) -> Source:
    names = ("primary_key", "autoincrement", "server_default") if column.primary_key \
        else ("nullable", "server_default")
    options = {name: getattr(column, name) for name in names
               if getattr(column, name) != ColumnSpec.__dataclass_fields__[name].default}
    return Source(call("column", column.name, column.type, **options))


def require_table(schema: Schema, name: str) -> TableSpec:
    if name not in schema:
        raise MigrationError(f"there is no table {name!r} at this point of the migrations "
                             f"(tables: {', '.join(sorted(schema)) or 'none'})")
    return schema[name]


class Operation:
    """One schema change. See the module docstring for its three methods."""

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        raise NotImplementedError

    def apply(self, schema: Schema) -> None:
        raise NotImplementedError

    def render(self) -> str:
        raise NotImplementedError


class RebuildOnSqlite(Operation):
    """An operation that SQLite cannot do in place: it becomes the copy-and-move recipe."""

    table: str

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        if dialect.name != "sqlite":
            return self.in_place_statements(dialect)
        before = current_table(self.table)
        schema = {self.table: before.copy()}
        self.apply(schema)
        return sqlite_rebuild.rebuild_statements(before, schema[self.table], dialect,
                                                 self.renamed_columns())

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        """The ALTER TABLE statements, for a database that can change the table in place."""
        raise NotImplementedError

    def renamed_columns(self) -> dict[str, str]:
        """New column name -> old name, for columns this operation renames."""
        return {}


@dataclass
class CreateTable(Operation):
    table: TableSpec

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        return [create_table_statement(self.table, dialect)]

    def apply(self, schema: Schema) -> None:
        if self.table.name in schema:
            raise MigrationError(f"table {self.table.name!r} exists already")
        schema[self.table.name] = TableSpec(self.table.name, list(self.table.columns), [],
                                            list(self.table.uniques),
                                            list(self.table.foreign_keys))

    def render(self) -> str:
        items = [render_column(column) for column in self.table.columns]
        items += [Source(call("unique", unique.name, list(unique.columns)))
                  for unique in self.table.uniques]
        for foreign_key in self.table.foreign_keys:
            options = {"on_delete": foreign_key.on_delete} if foreign_key.on_delete else {}
            items.append(Source(call("foreign_key", foreign_key.name, list(foreign_key.columns),
                                     foreign_key.target_table, list(foreign_key.target_columns),
                                     **options)))
        return call("create_table", self.table.name, *items, multiline=True)


@dataclass
class DropTable(Operation):
    name: str

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        return [f"DROP TABLE {quote(self.name)}"]

    def apply(self, schema: Schema) -> None:
        require_table(schema, self.name)
        del schema[self.name]

    def render(self) -> str:
        return call("drop_table", self.name)


@dataclass
class RenameTable(Operation):
    """ALTER TABLE ... RENAME TO: the rows, indexes and constraints go with the table."""

    name: str
    new_name: str

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        return [f"ALTER TABLE {quote(self.name)} RENAME TO {quote(self.new_name)}"]

    def apply(self, schema: Schema) -> None:
        # Both databases rewrite the foreign keys that point at the table (SQLite
        # since 3.26, unless PRAGMA legacy_alter_table is on).
        table = require_table(schema, self.name)
        if self.new_name in schema:
            raise MigrationError(f"table {self.new_name!r} exists already")
        del schema[self.name]
        table.name = self.new_name
        schema[self.new_name] = table
        for other in schema.values():
            other.foreign_keys = [
                ForeignKeySpec(key.name, key.columns, self.new_name, key.target_columns,
                               key.on_delete) if key.target_table == self.name else key
                for key in other.foreign_keys
            ]

    def render(self) -> str:
        return call("rename_table", self.name, self.new_name)


@dataclass
class AddColumn(RebuildOnSqlite):
    table: str
    column: ColumnSpec

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        # SQLite refuses ADD COLUMN ... NOT NULL without a default even on an empty
        # table (SQLite "ALTER TABLE" §5); rebuilt, it fails only if rows exist, as
        # on PostgreSQL.
        needs_rebuild = not self.column.nullable and self.column.server_default is None
        if dialect.name == "sqlite" and (needs_rebuild or self.column.primary_key):
            return super().statements(dialect, current_table)
        return self.in_place_statements(dialect)

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        return [f"ALTER TABLE {quote(self.table)} ADD COLUMN "
                f"{column_definition(self.column, dialect)}"]

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        if any(column.name == self.column.name for column in table.columns):
            raise MigrationError(f"table {self.table!r} has a column {self.column.name!r} already")
        table.columns.append(self.column)

    def render(self) -> str:
        return call("add_column", self.table, render_column(self.column))


@dataclass
class DropColumn(RebuildOnSqlite):
    table: str
    name: str

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        return [f"ALTER TABLE {quote(self.table)} DROP COLUMN {quote(self.name)}"]

    def apply(self, schema: Schema) -> None:
        # As PostgreSQL does, indexes and constraints on the column go with it.
        table = require_table(schema, self.table)
        table.column(self.name)
        table.columns = [column for column in table.columns if column.name != self.name]
        table.indexes = [index for index in table.indexes if self.name not in index.columns]
        table.uniques = [unique for unique in table.uniques if self.name not in unique.columns]
        table.foreign_keys = [key for key in table.foreign_keys if self.name not in key.columns]

    def render(self) -> str:
        return call("drop_column", self.table, self.name)


@dataclass
class AlterColumn(RebuildOnSqlite):
    """Change a column's type, nullability, server default, and/or name."""

    table: str
    name: str
    type: Any = UNCHANGED
    nullable: Any = UNCHANGED
    server_default: Any = UNCHANGED
    new_name: str | None = None

    def only_renames(self) -> bool:
        return (self.type is UNCHANGED and self.nullable is UNCHANGED
                and self.server_default is UNCHANGED)

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        if dialect.name == "sqlite" and self.only_renames() and self.new_name:
            return [self.rename_statement()]  # SQLite >= 3.25 renames in place
        if dialect.name == "postgresql":
            return self.in_place_statements(dialect)
        return super().statements(dialect, current_table)

    def rename_statement(self) -> str:
        return (f"ALTER TABLE {quote(self.table)} RENAME COLUMN {quote(self.name)} "
                f"TO {quote(self.new_name or self.name)}")

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        prefix = f"ALTER TABLE {quote(self.table)} ALTER COLUMN {quote(self.name)}"
        statements = []
        if self.type is not UNCHANGED:
            # USING says how to convert the rows already there ('42' -> 42).
            new_type = sql_type(self.type, dialect)
            statements.append(f"{prefix} TYPE {new_type} USING {quote(self.name)}::{new_type}")
        if self.nullable is not UNCHANGED:
            statements.append(f"{prefix} {'DROP' if self.nullable else 'SET'} NOT NULL")
        if self.server_default is not UNCHANGED:
            statements.append(f"{prefix} DROP DEFAULT" if self.server_default is None
                              else f"{prefix} SET DEFAULT {self.server_default}")
        if self.new_name:
            statements.append(self.rename_statement())
        return statements

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        old = table.column(self.name)
        changes = {name: value for name, value in (
            ("type", self.type), ("nullable", self.nullable),
            ("server_default", self.server_default), ("name", self.new_name or UNCHANGED),
        ) if value is not UNCHANGED}
        new = ColumnSpec(**{**old.__dict__, **changes})
        table.columns = [new if column.name == self.name else column for column in table.columns]
        if self.new_name:
            rename_in_table(table, self.name, self.new_name)

    def renamed_columns(self) -> dict[str, str]:
        return {self.new_name: self.name} if self.new_name else {}

    def render(self) -> str:
        options = {name: getattr(self, name) for name in ("type", "nullable", "server_default")
                   if getattr(self, name) is not UNCHANGED}
        if self.new_name:
            options["new_name"] = self.new_name
        return call("alter_column", self.table, self.name, **options)


def rename_in_table(table: TableSpec, old: str, new: str) -> None:
    def renamed(columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if name == old else name for name in columns)

    table.indexes = [IndexSpec(i.name, renamed(i.columns), i.unique) for i in table.indexes]
    table.uniques = [UniqueSpec(u.name, renamed(u.columns)) for u in table.uniques]
    table.foreign_keys = [ForeignKeySpec(k.name, renamed(k.columns), k.target_table,
                                         k.target_columns, k.on_delete)
                          for k in table.foreign_keys]


@dataclass
class CreateIndex(Operation):
    index: IndexSpec
    table: str

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        return [create_index_statement(self.index, self.table)]

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        for name in self.index.columns:
            table.column(name)
        table.indexes.append(self.index)

    def render(self) -> str:
        options = {"unique": True} if self.index.unique else {}
        return call("create_index", self.index.name, self.table, list(self.index.columns),
                    **options)


@dataclass
class DropIndex(Operation):
    name: str
    table: str

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        return [f"DROP INDEX {quote(self.name)}"]

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        if not any(index.name == self.name for index in table.indexes):
            raise MigrationError(f"table {self.table!r} has no index {self.name!r}")
        table.indexes = [index for index in table.indexes if index.name != self.name]

    def render(self) -> str:
        return call("drop_index", self.name, self.table)


@dataclass
class CreateUniqueConstraint(RebuildOnSqlite):
    unique: UniqueSpec
    table: str

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        return [f"ALTER TABLE {quote(self.table)} ADD {unique_clause(self.unique)}"]

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        for name in self.unique.columns:
            table.column(name)
        table.uniques.append(self.unique)

    def render(self) -> str:
        return call("create_unique_constraint", self.unique.name, self.table,
                    list(self.unique.columns))


@dataclass
class CreateForeignKey(RebuildOnSqlite):
    foreign_key: ForeignKeySpec
    table: str

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        return [f"ALTER TABLE {quote(self.table)} ADD {foreign_key_clause(self.foreign_key)}"]

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        for name in self.foreign_key.columns:
            table.column(name)
        table.foreign_keys.append(self.foreign_key)

    def render(self) -> str:
        key = self.foreign_key
        options = {"on_delete": key.on_delete} if key.on_delete else {}
        return call("create_foreign_key", key.name, self.table, list(key.columns),
                    key.target_table, list(key.target_columns), **options)


@dataclass
class DropConstraint(RebuildOnSqlite):
    """Drop a UNIQUE or FOREIGN KEY constraint by name."""

    name: str
    table: str

    def in_place_statements(self, dialect: Dialect) -> list[str]:
        return [f"ALTER TABLE {quote(self.table)} DROP CONSTRAINT {quote(self.name)}"]

    def apply(self, schema: Schema) -> None:
        table = require_table(schema, self.table)
        uniques = [unique for unique in table.uniques if unique.name != self.name]
        keys = [key for key in table.foreign_keys if key.name != self.name]
        if len(uniques) == len(table.uniques) and len(keys) == len(table.foreign_keys):
            known = [c.name for c in table.uniques] + [c.name for c in table.foreign_keys]
            raise MigrationError(f"table {self.table!r} has no constraint {self.name!r} "
                                 f"(it has {', '.join(known) or 'none'})")
        table.uniques, table.foreign_keys = uniques, keys

    def render(self) -> str:
        return call("drop_constraint", self.name, self.table)


@dataclass
class Execute(Operation):
    """Any SQL, as written: for data migrations (UPDATE ... SET ...)."""

    sql: str

    def statements(self, dialect: Dialect, current_table: TableLookup) -> list[str]:
        return [self.sql]

    def apply(self, schema: Schema) -> None:
        """Arbitrary SQL cannot be simulated; offline mode assumes it changes no schema."""

    def render(self) -> str:
        return call("execute", self.sql)


# -- the functions revision files call ---------------------------------------

def run(operation: Operation) -> None:
    migration = CURRENT_MIGRATION.get(None)
    if migration is None:
        raise MigrationError(
            f"{operation.render()} was called outside a migration: operations run only inside "
            "a revision's upgrade() or downgrade(), through `python -m miniorm.migrations upgrade`"
        )
    migration.run_operation(operation)


def column(name: str, type: str, *, nullable: bool = True, primary_key: bool = False,
           autoincrement: bool = False, server_default: str | None = None) -> ColumnSpec:
    """A column for create_table/add_column. `type` is a type string ("int", "str(320)", ...);
    `server_default` is SQL text ("0", "'user'", "CURRENT_TIMESTAMP")."""
    return ColumnSpec(name, type, nullable and not primary_key, primary_key, autoincrement,
                      server_default)


def unique(name: str, columns: Sequence[str]) -> UniqueSpec:
    return UniqueSpec(name, tuple(columns))


def foreign_key(name: str, columns: Sequence[str], target_table: str,
                target_columns: Sequence[str], on_delete: str | None = None) -> ForeignKeySpec:
    return ForeignKeySpec(name, tuple(columns), target_table, tuple(target_columns), on_delete)


def create_table(name: str, *items: ColumnSpec | UniqueSpec | ForeignKeySpec) -> None:
    """CREATE TABLE from columns, unique() and foreign_key() items (indexes: create_index)."""
    columns = [item for item in items if isinstance(item, ColumnSpec)]
    uniques = [item for item in items if isinstance(item, UniqueSpec)]
    keys = [item for item in items if isinstance(item, ForeignKeySpec)]
    run(CreateTable(TableSpec(name, columns, [], uniques, keys)))


def drop_table(name: str) -> None:
    run(DropTable(name))


def rename_table(name: str, new_name: str) -> None:
    """Rename a table, keeping its rows (autogenerate sees a rename as drop + create)."""
    run(RenameTable(name, new_name))


def add_column(table: str, column: ColumnSpec) -> None:
    run(AddColumn(table, column))


def drop_column(table: str, name: str) -> None:
    run(DropColumn(table, name))


def alter_column(table: str, name: str, *, type: Any = UNCHANGED, nullable: Any = UNCHANGED,
                 server_default: Any = UNCHANGED, new_name: str | None = None) -> None:
    """Change what is given: type (a type string), nullable, server_default (None drops it),
    new_name (a rename keeps the data, unlike drop_column + add_column)."""
    run(AlterColumn(table, name, type, nullable, server_default, new_name))


def create_index(name: str, table: str, columns: Sequence[str], *, unique: bool = False) -> None:
    run(CreateIndex(IndexSpec(name, tuple(columns), unique), table))


def drop_index(name: str, table: str) -> None:
    run(DropIndex(name, table))


def create_unique_constraint(name: str, table: str, columns: Sequence[str]) -> None:
    run(CreateUniqueConstraint(UniqueSpec(name, tuple(columns)), table))


def create_foreign_key(name: str, table: str, columns: Sequence[str], target_table: str,
                       target_columns: Sequence[str], *, on_delete: str | None = None) -> None:
    run(CreateForeignKey(foreign_key(name, columns, target_table, target_columns, on_delete),
                         table))


def drop_constraint(name: str, table: str) -> None:
    run(DropConstraint(name, table))


def execute(sql: str) -> None:
    """Run SQL as written, e.g. a data migration: `op.execute("UPDATE t SET x = 0")`."""
    run(Execute(sql))
