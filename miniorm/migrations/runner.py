"""Running revisions: the version table, one transaction per revision, offline SQL.

A database remembers which revision its schema is at in a one-row table,

    CREATE TABLE miniorm_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)

empty at *base* (no revision applied). To upgrade, the runner finds the
database's revision in the chain (script.py), and runs each later revision's
`upgrade()` up to the target, each in its own transaction together with the
UPDATE of the version row. So a revision is applied entirely or not at all,
and the version row never lies about the schema.

That is possible because DDL is *transactional* in both databases here:
PostgreSQL and SQLite both let CREATE, ALTER and DROP TABLE be rolled back
like an INSERT (PostgreSQL keeps the catalog in ordinary tables under MVCC).
MySQL and Oracle do not: there each DDL statement commits on its own, and a
revision that fails halfway leaves a half-migrated schema to repair by hand.

On PostgreSQL the transaction begins by locking the version table, so two app
servers that start at once and both try to upgrade apply each revision once:
the second waits, then sees the new version and stops. On SQLite foreign keys
are switched off around the transaction for the copy-and-move recipe
(sqlite_rebuild.py), and `PRAGMA foreign_key_check` must find nothing wrong
before COMMIT.

Targets: `head`, a revision id (or a unique prefix), `+N` / `-N` (relative to
the database's revision) and `base`. The runner refuses a database at a
revision that the folder does not know (a file deleted, or a database
migrated from another branch) rather than guess how to move from it.

Offline mode (`upgrade --sql`) writes the same SQL as a script instead of
running it, for a DBA to review or run with psql. With no database to ask, it
tracks the schema by applying each operation to a simulated Schema (each
Operation's `apply()`), which is also where SQLite's recipe finds a table's
current definition. `op.execute()` SQL is copied into the script as written.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..dialects import Dialect, quote_identifier
from . import operations
from .introspect import inspect_postgres_table, inspect_schema, inspect_sqlite_table
from .schema import VERSION_TABLE, MigrationError, Schema, TableSpec
from .script import Revision, ScriptDirectory

CREATE_VERSION_TABLE = (f"CREATE TABLE IF NOT EXISTS {quote_identifier(VERSION_TABLE)} "
                        "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
Step = tuple[Revision, str]  # (revision, "upgrade" | "downgrade")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def version_statements(before: str | None, after: str | None) -> list[str]:
    table = quote_identifier(VERSION_TABLE)
    if before is None:
        return [f"INSERT INTO {table} (version_num) VALUES ({sql_literal(after or '')})"]
    if after is None:
        return [f"DELETE FROM {table}"]
    return [f"UPDATE {table} SET version_num = {sql_literal(after)} "
            f"WHERE version_num = {sql_literal(before)}"]


# -- planning (pure) ---------------------------------------------------------

def position(chain: list[Revision], revision: str | None, scripts: ScriptDirectory) -> int:
    """Index of `revision` in the chain; -1 is base."""
    if revision is None:
        return -1
    for index, item in enumerate(chain):
        if item.revision == revision:
            return index
    raise MigrationError(
        f"the database is at revision {revision}, which is not in {scripts.versions}: the file "
        "was deleted or this database was migrated from another branch. Restore the file, or "
        "if the schema is known to match a revision, record it with `stamp REV`"
    )


def target_position(chain: list[Revision], target: str, here: int,
                    scripts: ScriptDirectory) -> int:
    if target == "head":
        return len(chain) - 1
    if target == "base":
        return -1
    if target[:1] in "+-" and target[1:].isdigit():
        goal = here + int(target)
        if not -1 <= goal < len(chain):
            raise MigrationError(
                f"{target} from position {here + 1} of {len(chain)} leaves the chain: "
                f"the database can move between base and {len(chain)} revisions up"
            )
        return goal
    return position(chain, scripts.resolve(target), scripts)


def plan(chain: list[Revision], current: str | None, target: str, direction: str,
         scripts: ScriptDirectory) -> list[Step]:
    """The revisions to run, in order, to move from `current` to `target`."""
    here = position(chain, current, scripts)
    goal = target_position(chain, target, here, scripts)
    if direction == "upgrade":
        if goal < here:
            raise MigrationError(f"{target} is behind the database's revision {current}: "
                                 "use downgrade to go back")
        return [(revision, "upgrade") for revision in chain[here + 1:goal + 1]]
    if goal > here:
        raise MigrationError(f"{target} is ahead of the database's revision {current}: "
                             "use upgrade to go forward")
    return [(revision, "downgrade") for revision in reversed(chain[goal + 1:here + 1])]


def parent_of(step: Step) -> str | None:
    revision, direction = step
    return revision.revision if direction == "upgrade" else revision.down_revision


# -- running against a database ----------------------------------------------

class OnlineMigration:
    """Runs each operation's SQL at once on `connection` (see the module docstring)."""

    def __init__(self, connection: Any, dialect: Dialect,
                 log: Callable[[str], None] | None = None) -> None:
        self.connection, self.dialect, self.log = connection, dialect, log
        self.current_operation: operations.Operation | None = None

    def current_table(self, name: str) -> TableSpec:
        inspect = inspect_postgres_table if self.dialect.name == "postgresql" \
            else inspect_sqlite_table
        table = inspect(self.connection, name)
        if not table.columns:
            raise MigrationError(f"there is no table {name!r} in the database")
        return table

    def run_operation(self, operation: operations.Operation) -> None:
        self.current_operation = operation
        for statement in operation.statements(self.dialect, self.current_table):
            self.execute(statement)

    def execute(self, statement: str) -> Any:
        if self.log is not None:
            self.log(statement)
        rows, _ = self.connection.execute(statement, [])
        return rows


class Migrator:
    """Moves one database along a ScriptDirectory's chain, on one connection."""

    def __init__(self, connection: Any, dialect: Dialect, scripts: ScriptDirectory,
                 log: Callable[[str], None] | None = None) -> None:
        self.connection, self.dialect, self.scripts, self.log = connection, dialect, scripts, log

    def current(self) -> str | None:
        """The database's revision; None at base (or before any migration ran)."""
        rows, _ = self.connection.execute(self.dialect.table_names_sql, [])
        if VERSION_TABLE not in {row[0] for row in rows or []}:
            return None
        rows, _ = self.connection.execute(
            f"SELECT version_num FROM {quote_identifier(VERSION_TABLE)}", [])
        if rows and len(rows) > 1:
            raise MigrationError(f"{VERSION_TABLE} holds {len(rows)} rows; it must hold one "
                                 "(the current revision) or none: fix it by hand")
        return rows[0][0] if rows else None

    def upgrade(self, target: str = "head") -> list[Step]:
        return self.move(target, "upgrade")

    def downgrade(self, target: str) -> list[Step]:
        return self.move(target, "downgrade")

    def move(self, target: str, direction: str) -> list[Step]:
        """Run the planned revisions, each in its own transaction; return what ran.

        The target is fixed first (`+1` means one past where the database is now);
        then each transaction locks the version table, reads the revision again and
        runs the next step from there. A second process upgrading at the same time
        waits for the lock, sees the revisions already applied, and skips them.
        """
        chain = self.scripts.chain()
        self.create_version_table()
        here = position(chain, self.current(), self.scripts)
        goal = target_position(chain, target, here, self.scripts)
        goal_revision = chain[goal].revision if goal >= 0 else "base"
        plan(chain, self.current(), goal_revision, direction, self.scripts)  # refuse early
        steps: list[Step] = []
        while (step := self.run_next_step(chain, goal_revision, direction)) is not None:
            steps.append(step)
        return steps

    def create_version_table(self) -> None:
        if self.dialect.name != "postgresql":
            self.connection.execute(CREATE_VERSION_TABLE, [])
            return
        # Two servers starting at once would both try to create it, and IF NOT EXISTS
        # does not stop the race in PostgreSQL's catalog: a transaction-scoped advisory
        # lock (keyed by the schema) makes the second wait and then find the table.
        self.connection.execute("BEGIN", [])
        try:
            self.connection.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))",
                ["." + VERSION_TABLE])
            self.connection.execute(CREATE_VERSION_TABLE, [])
        except BaseException:
            self.connection.execute("ROLLBACK", [])
            raise
        self.connection.execute("COMMIT", [])

    def stamp(self, target: str) -> None:
        """Record `target` as the database's revision without running anything."""
        chain = self.scripts.chain()
        goal = target_position(chain, target, -1, self.scripts)
        self.create_version_table()
        self.connection.execute(f"DELETE FROM {quote_identifier(VERSION_TABLE)}", [])
        if goal >= 0:
            self.connection.execute(version_statements(None, chain[goal].revision)[0], [])

    def run_next_step(self, chain: list[Revision], goal: str, direction: str) -> Step | None:
        """In one transaction: lock, re-read the revision, run the next step (None: done)."""
        sqlite = self.dialect.name == "sqlite"
        if sqlite:
            self.connection.execute("PRAGMA foreign_keys = OFF", [])
        self.connection.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN", [])
        step: Step | None = None
        migration = OnlineMigration(self.connection, self.dialect, self.log)
        try:
            if not sqlite:
                self.connection.execute(
                    f"LOCK TABLE {quote_identifier(VERSION_TABLE)} IN EXCLUSIVE MODE", [])
            before = self.current()
            steps = plan(chain, before, goal, direction, self.scripts)
            if steps:
                step = steps[0]
                self.run_step(step, before, migration)
        except BaseException as error:
            self.connection.execute("ROLLBACK", [])
            if sqlite:
                self.connection.execute("PRAGMA foreign_keys = ON", [])
            if step is None or not isinstance(error, Exception):
                raise
            raise self.failure(step, before, migration, error) from error
        self.connection.execute("COMMIT", [])
        if sqlite:
            self.connection.execute("PRAGMA foreign_keys = ON", [])
        return step

    def run_step(self, step: Step, before: str | None, migration: OnlineMigration) -> None:
        revision, direction = step
        token = operations.CURRENT_MIGRATION.set(migration)
        try:
            getattr(revision, direction)()
        finally:
            operations.CURRENT_MIGRATION.reset(token)
        for statement in version_statements(before, parent_of(step)):
            migration.execute(statement)
        if self.dialect.name == "sqlite":
            self.check_foreign_keys()

    def check_foreign_keys(self) -> None:
        rows, _ = self.connection.execute("PRAGMA foreign_key_check", [])
        if rows:
            table, rowid, parent, _ = rows[0]
            raise MigrationError(f"{len(rows)} row(s) break a foreign key, e.g. row {rowid} of "
                                 f"{table!r} points to a missing row of {parent!r}")

    def failure(self, step: Step, before: str | None, migration: OnlineMigration,
                error: Exception) -> MigrationError:
        revision, direction = step
        where = ""
        if migration.current_operation is not None:
            where = f" at {migration.current_operation.render()}"
        return MigrationError(
            f"{direction} of revision {revision.revision} ({revision.path.name}) failed{where}: "
            f"{error}. The transaction was rolled back: the schema is as it was, at revision "
            f"{before or 'base'}"
        )


# -- offline: SQL as a script --------------------------------------------------

class OfflineMigration:
    """Collects each operation's SQL and applies it to a simulated schema."""

    def __init__(self, dialect: Dialect, schema: Schema, output: list[str] | None) -> None:
        self.dialect, self.schema, self.output = dialect, schema, output

    def current_table(self, name: str) -> TableSpec:
        return operations.require_table(self.schema, name).copy()

    def run_operation(self, operation: operations.Operation) -> None:
        statements = operation.statements(self.dialect, self.current_table)
        operation.apply(self.schema)
        if self.output is not None:
            self.output.extend(statements)


def offline_sql(scripts: ScriptDirectory, dialect: Dialect, target: str,
                direction: str = "upgrade", start: str | None = None) -> str:
    """The SQL script that moves a database at `start` to `target`.

    `start` is a revision, "head" or "base"; given none, an upgrade starts at base
    and a downgrade at head. The schema at `start` is simulated first, silently.
    """
    chain = scripts.chain()
    if start is None:
        start = "base" if direction == "upgrade" else "head"
    begin = target_position(chain, start, -1, scripts)
    start = chain[begin].revision if begin >= 0 else None
    schema: Schema = {}
    for step in plan(chain, None, start or "base", "upgrade", scripts):
        run_offline(step, dialect, schema, None)
    lines = [f"-- {direction} {start or 'base'} -> {target} ({dialect.name})",
             CREATE_VERSION_TABLE + ";"]
    for step in plan(chain, start, target, direction, scripts):
        revision, _ = step
        before = revision.down_revision if direction == "upgrade" else revision.revision
        statements: list[str] = []
        run_offline(step, dialect, schema, statements)
        statements += version_statements(before, parent_of(step))
        lines.append(f"\n-- {direction} {revision.revision}: {revision.message}")
        if dialect.name == "sqlite":
            lines.append("PRAGMA foreign_keys = OFF;")
        lines.append("BEGIN;")
        lines += [statement + ";" for statement in statements]
        lines.append("COMMIT;")
        if dialect.name == "sqlite":
            lines.append("PRAGMA foreign_keys = ON;")
    return "\n".join(lines) + "\n"


def run_offline(step: Step, dialect: Dialect, schema: Schema, output: list[str] | None) -> None:
    revision, direction = step
    token = operations.CURRENT_MIGRATION.set(OfflineMigration(dialect, schema, output))
    try:
        getattr(revision, direction)()
    finally:
        operations.CURRENT_MIGRATION.reset(token)


# -- entry points for applications --------------------------------------------

def upgrade(database: Any, directory: str | Path, target: str = "head") -> list[Step]:
    """Upgrade a miniorm Database to `target`; return the steps run."""
    with database.pool.connection() as connection:
        return Migrator(connection, database.dialect, ScriptDirectory(directory)).upgrade(target)


def downgrade(database: Any, directory: str | Path, target: str) -> list[Step]:
    with database.pool.connection() as connection:
        return Migrator(connection, database.dialect,
                        ScriptDirectory(directory)).downgrade(target)


def current(database: Any, directory: str | Path) -> str | None:
    with database.pool.connection() as connection:
        return Migrator(connection, database.dialect, ScriptDirectory(directory)).current()


def live_schema(database: Any) -> Schema:
    with database.pool.connection() as connection:
        return inspect_schema(connection, database.dialect)


async def upgrade_async(database: Any, directory: str | Path, target: str = "head") -> None:
    """Upgrade an AsyncDatabase without blocking the event loop.

    The runner is blocking code, so it runs on another thread: on SQLite the
    database's own worker thread with its own connection (an in-memory
    database exists only in that connection); on PostgreSQL a short-lived
    thread with a blocking connection of its own.
    """
    scripts = ScriptDirectory(directory)
    if database.worker is not None:
        async with database.pool.connection() as connection:
            migrator = Migrator(connection.connection, database.dialect, scripts)
            await database.worker.run(migrator.upgrade, target)
        return
    from ..drivers import PostgresConnection

    def run_blocking() -> None:
        connection = PostgresConnection(database.target)
        try:
            Migrator(connection, database.dialect, scripts).upgrade(target)
        finally:
            connection.close()

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="miniorm-migrate") as pool:
        # wrap_future is the thread-safe way back into any event loop (minihttp's too).
        await asyncio.wrap_future(pool.submit(run_blocking))
