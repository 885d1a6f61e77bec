"""Autogenerate: compare the models with the live schema, write the operations.

`revision --autogenerate` reads the database (introspect.py), describes the
models the same way (schema.py), and compares the two descriptions here, a
pure function of two Schemas. What it sees:

- tables added or dropped;
- columns added or dropped; a column's type or nullability changed;
- indexes added or dropped (by name; an index whose columns changed is
  dropped and created again);
- UNIQUE and FOREIGN KEY constraints added or dropped (compared by what they
  say, their columns and targets, since SQLite forgets constraint names).

The downgrade is the same comparison the other way round: from the models'
schema back to the live one.

What it cannot see is intent. A column `name` gone and a column `full_name`
new look exactly like a rename, and exactly like dropping one column and
adding an unrelated one; the schemas alone cannot tell them apart, and the
two readings differ in whether the data survives. So autogenerate writes the
drop and the add, with a comment saying it may be a rename and how to write
one (`op.alter_column(..., new_name=...)`): a person decides. Likewise it
does not compare server defaults (models hold Python defaults) or CHECK
constraints, and a changed primary key is only reported.

A NOT NULL column added to a table that has rows needs a value for those rows:
when the model's field has a plain default (`priority: int = 0`),
autogenerate writes it as the column's server default.
"""

from __future__ import annotations

import enum
import textwrap
from dataclasses import dataclass, field
from typing import Any

from ..dialects import Dialect
from ..fields import MISSING
from . import operations as op
from .runner import sql_literal
from .schema import (
    ColumnSpec,
    Schema,
    TableSpec,
    creation_order,
    normalized_sql_type,
    schema_from_models,
)

ServerDefaults = dict[tuple[str, str], str]


@dataclass
class Diff:
    upgrade: list[op.Operation] = field(default_factory=list)
    downgrade: list[op.Operation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.upgrade


def literal_default(value: Any) -> str | None:
    """SQL text for a plain Python default, or None when it has no literal form."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # both databases (SQLite >= 3.23) read these
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return sql_literal(value)
    return None


def model_server_defaults(models: list[Any]) -> ServerDefaults:
    defaults: ServerDefaults = {}
    for model in models:
        for column in model.__table__.columns.values():
            if column.default is not MISSING and column.default is not None:
                text = literal_default(column.default)
                if text is not None:
                    defaults[(model.__table__.name, column.name)] = text
    return defaults


def compare_models(models: list[Any], live: Schema, dialect: Dialect) -> Diff:
    """The operations that bring `live` to what `models` describe, and back."""
    wanted = schema_from_models(models)
    upgrade, notes = compare(live, wanted, dialect, model_server_defaults(models))
    downgrade, _ = compare(wanted, live, dialect, {})
    return Diff(upgrade, downgrade, notes)


def compare(current: Schema, target: Schema, dialect: Dialect,
            server_defaults: ServerDefaults) -> tuple[list[op.Operation], list[str]]:
    """Operations turning schema `current` into `target`, and notes for a person."""
    new = [name for name in creation_order(target) if name not in current]
    gone = [name for name in reversed(creation_order(current)) if name not in target]
    kept = [name for name in sorted(target) if name in current]
    notes = []
    if new and gone:
        notes.append(f"table(s) {', '.join(gone)} dropped and {', '.join(new)} created: if one "
                     "is a rename, replace its drop_table and create_table with "
                     "op.rename_table('old', 'new'), or the rows are lost")
    drop_keys, removals, columns, additions, add_keys, column_drops = [], [], [], [], [], []
    for name in kept:
        before, after = current[name], target[name]
        drop_keys += changed_foreign_keys(before, after, create=False)
        removals += removed_indexes_and_uniques(before, after)
        changes, drops, table_notes = compare_columns(before, after, dialect, server_defaults)
        columns += changes
        column_drops += drops
        notes += table_notes
        additions += added_indexes_and_uniques(before, after)
        add_keys += changed_foreign_keys(before, after, create=True)
    creates: list[op.Operation] = []
    for name in new:
        table = target[name]
        creates.append(op.CreateTable(TableSpec(name, table.columns, [], table.uniques,
                                                table.foreign_keys)))
        creates += [op.CreateIndex(index, name) for index in table.indexes]
    drops = [op.DropTable(name) for name in gone]
    # Foreign keys go first and come back last, so no step points at a missing table;
    # indexes and constraints go before their columns do (PostgreSQL would drop them
    # with the column, and a later explicit drop would fail).
    return (drop_keys + creates + removals + columns + additions + add_keys + column_drops
            + drops), notes


def compare_columns(before: TableSpec, after: TableSpec, dialect: Dialect,
                    server_defaults: ServerDefaults,
                    ) -> tuple[list[op.Operation], list[op.Operation], list[str]]:
    """(adds and alters, drops, notes) for the columns of one table."""
    old = {column.name: column for column in before.columns}
    new = {column.name: column for column in after.columns}
    added = [column for name, column in new.items() if name not in old]
    dropped = [name for name in old if name not in new]
    operations: list[op.Operation] = []
    notes = []
    for column in added:
        default = server_defaults.get((after.name, column.name))
        if not column.nullable and default is not None and column.server_default is None:
            column = ColumnSpec(**{**column.__dict__, "server_default": default})
        elif not column.nullable and column.server_default is None:
            notes.append(f"{after.name}.{column.name} is NOT NULL with no default: adding it "
                         "fails if the table has rows; add it nullable, fill it with "
                         "op.execute('UPDATE ...'), then alter_column(..., nullable=False)")
        operations.append(op.AddColumn(after.name, column))
    for name in sorted(old.keys() & new.keys(), key=list(new).index):
        operations += compare_column(after.name, old[name], new[name], dialect, notes)
    drops: list[op.Operation] = [op.DropColumn(after.name, name) for name in dropped]
    if added and dropped:
        notes.append(
            f"{after.name}: column(s) {', '.join(dropped)} dropped and "
            f"{', '.join(c.name for c in added)} added. If one is a rename, replace the pair "
            f"with op.alter_column({after.name!r}, 'old', new_name='new'), or its data is lost"
        )
    return operations, drops, notes


def compare_column(table: str, old: ColumnSpec, new: ColumnSpec, dialect: Dialect,
                   notes: list[str]) -> list[op.Operation]:
    changes: dict[str, Any] = {}
    if normalized_sql_type(old.type, dialect) != normalized_sql_type(new.type, dialect):
        changes["type"] = new.type
    if old.nullable != new.nullable and not new.primary_key:
        changes["nullable"] = new.nullable
    if old.primary_key != new.primary_key:
        notes.append(f"{table}.{new.name}: the primary key changed; autogenerate does not "
                     "write primary-key changes, write them by hand")
    return [op.AlterColumn(table, new.name, **changes)] if changes else []


def removed_indexes_and_uniques(before: TableSpec, after: TableSpec) -> list[op.Operation]:
    new_indexes = {index.name: index for index in after.indexes}
    new_uniques = {unique.columns for unique in after.uniques}
    operations: list[op.Operation] = [op.DropIndex(index.name, before.name)
                                      for index in before.indexes
                                      if new_indexes.get(index.name) != index]
    operations += [op.DropConstraint(unique.name, before.name) for unique in before.uniques
                   if unique.columns not in new_uniques]
    return operations


def added_indexes_and_uniques(before: TableSpec, after: TableSpec) -> list[op.Operation]:
    old_indexes = {index.name: index for index in before.indexes}
    old_uniques = {unique.columns for unique in before.uniques}
    operations: list[op.Operation] = [op.CreateUniqueConstraint(unique, after.name)
                                      for unique in after.uniques
                                      if unique.columns not in old_uniques]
    operations += [op.CreateIndex(index, after.name) for index in after.indexes
                   if old_indexes.get(index.name) != index]
    return operations


def foreign_key_identity(key: Any) -> tuple:
    return (key.columns, key.target_table, key.target_columns, key.on_delete)


def changed_foreign_keys(before: TableSpec, after: TableSpec, create: bool) -> list[op.Operation]:
    old = {foreign_key_identity(key): key for key in before.foreign_keys}
    new = {foreign_key_identity(key): key for key in after.foreign_keys}
    if create:
        return [op.CreateForeignKey(key, after.name) for i, key in new.items() if i not in old]
    return [op.DropConstraint(key.name, before.name) for i, key in old.items() if i not in new]


def render_body(operations: list[op.Operation], notes: list[str] | None = None) -> str:
    """The indented body of upgrade() or downgrade() for a revision file."""
    lines = []
    for note in notes or []:
        lines += textwrap.wrap(note, 96, initial_indent="    # NOTE: ",
                               subsequent_indent="    #   ", break_on_hyphens=False)
    lines += ["    " + op.indent_lines(operation.render(), 4) for operation in operations]
    return "\n".join(lines) if operations else "\n".join(lines + ["    pass"])
