"""SQLite's copy-and-move recipe: changing what ALTER TABLE cannot.

SQLite's ALTER TABLE renames tables and columns, adds columns and drops plain
ones, and nothing more (SQLite "ALTER TABLE" §2-§5): a table's definition is
kept as the text of its CREATE TABLE statement, and SQLite does not rewrite
that text for type or constraint changes. The documented way to make any
other change (SQLite "ALTER TABLE" §7, "Making Other Kinds Of Table Schema
Changes") is to build the table again:

    1. CREATE TABLE "_miniorm_new_<t>" (... the new definition ...)
    2. INSERT INTO "_miniorm_new_<t>" (columns kept) SELECT (the same columns) FROM "<t>"
    3. DROP TABLE "<t>"
    4. ALTER TABLE "_miniorm_new_<t>" RENAME TO "<t>"
    5. CREATE INDEX ... again for each index (they were dropped with the old table)

and to do it inside one transaction with foreign keys switched OFF before the
transaction began (`PRAGMA foreign_keys` is a no-op inside a transaction), then
`PRAGMA foreign_key_check` before COMMIT. Foreign keys must be off because
DROP TABLE with them on deletes the old table's rows first, and a child
table's ON DELETE CASCADE would take its rows along. The runner
(miniorm.migrations.runner) does the PRAGMAs and the transaction; this module
writes steps 1-5.

Step 2 is where data survives a type change: SQLite stores each value by the
new column's *type affinity* (SQLite "Datatypes" §3), so the text '42' copied
into an INTEGER column is stored as the integer 42, while text that does not
look like a number stays text (SQLite never refuses a value for its type).

Not carried over: CHECK constraints, triggers, and views naming the table,
since introspection (introspect.py) does not read them and miniorm's models
never make them. A table that has them needs its recipe written by hand, with
`op.execute()`, following the same five steps.
"""

from __future__ import annotations

from ..dialects import Dialect, quote_identifier
from .ddl import create_index_statement, create_table_statement
from .schema import TableSpec

TEMPORARY_PREFIX = "_miniorm_new_"


def rebuild_statements(before: TableSpec, after: TableSpec, dialect: Dialect,
                       renamed: dict[str, str] | None = None) -> list[str]:
    """The SQL that turns table `before` into `after`, keeping the rows.

    `renamed` maps a column's new name to its old one; a column in `after`
    that is neither in `before` nor renamed is new and takes its default.
    """
    quote = quote_identifier
    renamed = renamed or {}
    old_names = {column.name for column in before.columns}
    targets, sources = [], []
    for column in after.columns:
        source = renamed.get(column.name, column.name)
        if source in old_names:
            targets.append(quote(column.name))
            sources.append(quote(source))
    temporary = TEMPORARY_PREFIX + after.name
    statements = [create_table_statement(after, dialect, name=temporary)]
    if targets:
        statements.append(f"INSERT INTO {quote(temporary)} ({', '.join(targets)}) "
                          f"SELECT {', '.join(sources)} FROM {quote(before.name)}")
    statements.append(f"DROP TABLE {quote(before.name)}")
    statements.append(f"ALTER TABLE {quote(temporary)} RENAME TO {quote(after.name)}")
    statements += [create_index_statement(index, after.name) for index in after.indexes]
    return statements
