"""miniorm.migrations: versioned schema changes, forward and back, like Alembic.

`create_all()` makes tables that do not exist; it cannot change a table that
does. Once an app has users, its tables hold their data, and a new field on a
model must become an ALTER TABLE that keeps every row. A *migration* is such a
change written down as code, in a file kept in version control beside the
models: `upgrade()` applies it, `downgrade()` takes it back. Every copy of
the app (a laptop, CI, production) runs the same files in the same order, so
every database goes through the same schemas.

Read it in this order:

    schema.py          a neutral description of tables, and type strings
    introspect.py      the live schema, from pg_catalog or SQLite's pragmas
    ddl.py             the SQL of a table: CREATE TABLE, constraints, indexes
    operations.py      create_table, add_column, alter_column ... and their SQL
    sqlite_rebuild.py  the copy-and-move recipe for what SQLite cannot ALTER
    script.py          revision files, and why they form a chain
    runner.py          the version table, one transaction per revision, --sql
    autogenerate.py    models vs database -> operations; why renames are invisible
    __main__.py        the command line: init, revision, upgrade, downgrade, check

From an application (examples/todo does this on start):

    from miniorm import Database
    from miniorm.migrations import upgrade

    upgrade(Database(url), "migrations", "head")      # or: await upgrade_async(adb, ...)

A revision file:

    from miniorm.migrations import operations as op

    revision = "3f2a9c1b7d10"
    down_revision = "1a2b3c4d5e6f"

    def upgrade():
        op.add_column("todo_item", op.column("priority", "int", nullable=False,
                                             server_default="0"))

    def downgrade():
        op.drop_column("todo_item", "priority")
"""

from .autogenerate import Diff, compare_models
from .introspect import inspect_schema
from .runner import Migrator, current, downgrade, live_schema, offline_sql, upgrade, upgrade_async
from .schema import MigrationError, Schema, schema_from_models
from .script import ScriptDirectory

__all__ = [
    "Diff", "MigrationError", "Migrator", "Schema", "ScriptDirectory", "compare_models",
    "current", "downgrade", "inspect_schema", "live_schema", "offline_sql", "schema_from_models",
    "upgrade", "upgrade_async",
]
