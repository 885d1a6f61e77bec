"""AsyncSession: the same session, for async code. And why it needs no greenlets.

    async with adb.session() as session:
        session.add(User(email="ada@example.com"))
        await session.commit()
        users = (await session.exec(select(User).limit(10))).all()

Every method that talks to the database is a coroutine (`exec`, `get`,
`commit`, `rollback`, `flush`, `refresh`, `load`, `close`); `add`, `add_all`
and `delete` only touch memory and stay plain calls. Transactions follow the
rules of miniorm.session: `async with session.begin():` and
`async with session.begin_nested():` (a SAVEPOINT).

## The problem SQLAlchemy had, and how it solved it with greenlets

SQLAlchemy was written for blocking drivers. Its ORM, its unit of work and its
compiler call the driver deep inside ordinary functions: `session.flush()`
calls the unit of work, which calls the persistence code, which calls
`cursor.execute()`. In async Python, every function between the caller and an
`await` must itself be `async def` ("function colouring"), so making the driver
async would have meant rewriting and duplicating all of those layers.

SQLAlchemy's answer (sqlalchemy.util.concurrency in 2.1; `_concurrency_py3k` in 1.4
and 2.0) is a *greenlet*, a coroutine from a C extension that can switch
stacks from any plain function. `AsyncSession.flush()` starts the ordinary,
synchronous `flush()` inside a greenlet (`greenlet_spawn`). When the sync code
finally reaches the driver, the adapted "cursor.execute()" calls
`await_(coroutine)` (`await_only` before 2.1), which *switches* out of the
greenlet back to the async caller carrying the coroutine; the caller awaits it
on the event loop and switches back into the greenlet with the result. The
sync code never knew it was paused. It works, but it hides the awaits (a plain
attribute access can become I/O, so "lazy loading" in async code raises
MissingGreenlet), needs a compiled extension, and the control flow can no
longer be read off the source.

## Why this ORM needs none of it

The cut is in a different place. Everything that *thinks* is pure, with no
I/O inside to wait for:

- the compiler (miniorm.compiler) turns a query into `(sql, params)`;
- the unit of work (miniorm.unit_of_work) turns added, changed and deleted
  objects into a list of `FlushStep`s (SQL, parameters, and what to record
  from the result), and turns rows into instances through the identity map;
- relationship loading (miniorm.relationships.plan_load) returns the query
  to run and the function that spreads its rows.

The sessions are thin shells: loops that take what a core produced, hand it
to a connection, and give the result back to the core. The blocking Session
writes `rows = connection.execute(sql, params)`; this AsyncSession writes
`rows = await connection.execute(sql, params)`. The shells are short and
duplicated on purpose; the cores are shared. Every await is visible in this
file, and nothing can do I/O behind an attribute read (a relationship not
loaded raises NotLoadedError instead).

## SQLite in async code

sqlite3 has only blocking calls. AsyncDatabase gives each SQLite database one
worker thread (miniorm.drivers.SqliteWorker); the session awaits futures that
the thread completes, so the event loop keeps serving other tasks while SQLite
works. PostgreSQL needs no thread: psycopg's AsyncConnection awaits the socket.

## One session, one task

A session holds one connection and one transaction. If two tasks interleave
statements on it, one task's COMMIT ends the other's work halfway. So a second
task entering a session while the first is inside an awaited call gets
ConcurrentUseError at once, instead of corrupted state later.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from .compiler import compile
from .errors import DatabaseError, SessionError
from .query import Select
from .relationships import plan_load
from .results import Result, shape_rows
from .session import FAILED_FLUSH_NOTE, SessionBase, find_relationship, refresh_instance
from .unit_of_work import FlushStep


class AsyncSession(SessionBase):
    """An async session; get one from `AsyncDatabase.session()`."""

    who = "task"

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # -- the connection and the transaction -------------------------------
    async def _run(self, sql: str, params: list[Any]) -> tuple[list[tuple] | None, int]:
        if not self.in_transaction:
            await self._open_transaction("BEGIN")
        try:
            return await self.connection.execute(sql, params)
        except DatabaseError as error:
            if self._lost(error):
                await self._drop_connection()
            raise

    async def _open_transaction(self, statement: str) -> None:
        if self.connection is None:
            self.connection = await self.database.pool.acquire()
        try:
            await self.connection.execute(statement, [])
        except BaseException as error:
            await self._drop_connection(broken=self._lost(error))
            raise
        self.in_transaction = True

    async def _drop_connection(self, broken: bool = True) -> None:
        connection, self.connection = self.connection, None
        self.in_transaction = False
        self.savepoint_depth = 0
        if connection is not None:
            await self.database.pool.release(connection, broken=broken or connection.broken)
        if broken:
            self.state.forget_everything()

    async def _end_transaction(self, statement: str) -> None:
        try:
            if self.in_transaction:
                await self.connection.execute(statement, [])
        except BaseException as error:
            await self._drop_connection(broken=self._lost(error))
            raise
        await self._drop_connection(broken=False)

    async def _run_steps(self, steps: list[FlushStep]) -> None:
        for step in steps:
            if len(step.params_list) == 1:
                rows, _ = await self._run(step.sql, step.params_list[0])
            else:
                if not self.in_transaction:
                    await self._open_transaction("BEGIN")
                rows = await self.connection.execute_many_returning(step.sql, step.params_list)
            step.record(rows or [])

    async def _flush(self) -> None:
        if self.state.has_changes():
            try:
                await self._run_steps(self.state.plan_flush())
            except BaseException as error:
                await self._after_failed_flush(error)
                raise

    async def _after_failed_flush(self, error: BaseException) -> None:
        if self.savepoint_depth:  # begin_nested() rolls back to its savepoint
            return
        if self.connection is not None:
            await self._end_transaction("ROLLBACK")
        self.state.forget_everything()
        error.add_note(FAILED_FLUSH_NOTE)

    # -- public API (each method mirrors Session's) -------------------------
    async def flush(self) -> None:
        self._enter()
        try:
            await self._flush()
        finally:
            self._leave()

    async def commit(self) -> None:
        self._enter()
        try:
            await self._flush()  # on failure it rolls back itself
            await self._end_transaction("COMMIT")
        finally:
            self._leave()

    async def rollback(self) -> None:
        self._enter()
        try:
            if self.connection is not None:
                await self._end_transaction("ROLLBACK")
            self.state.forget_everything()
        finally:
            self._leave()

    async def close(self) -> None:
        if self.closed:
            return
        try:
            if self.connection is not None:
                await self._end_transaction("ROLLBACK")
        finally:
            self.closed = True

    async def exec(self, query: Any) -> Result:
        self._enter()
        try:
            await self._flush()
            sql, params = compile(query, self.state.dialect)
            rows, rowcount = await self._run(sql, params)
            if not isinstance(query, Select):
                return Result(rows or [], rowcount)
            shaped = shape_rows(query, rows or [], self.state)
            for option in query.load_options:
                await self._load_relationship(option.relationship, shaped)
            return Result(shaped, rowcount)
        finally:
            self._leave()

    async def get(self, model: Any, key: Any) -> Any:
        found = self.state.identity.get(model, key)
        if found is not None and not self.closed:
            return found
        self._enter()
        try:
            await self._flush()
            sql, params = self._get_query(model, key)
            rows, _ = await self._run(sql, params)
            loaded = self.state.plan(model).load(rows, self.state.identity, distinct_keys=True)
            return loaded[0] if loaded else None
        finally:
            self._leave()

    async def refresh(self, instance: Any) -> None:
        self._enter()
        try:
            await self._flush()
            model = type(instance)
            sql, params = self._get_query(model, instance.__dict__[model.__table__.primary_key.name])
            rows, _ = await self._run(sql, params)
            refresh_instance(instance, rows, self.state)
        finally:
            self._leave()

    async def load(self, instance: Any, relationship_name: str) -> Any:
        self._enter()
        try:
            relationship = find_relationship(instance, relationship_name)
            await self._load_relationship(relationship, [instance])
            return instance.__dict__[relationship_name]
        finally:
            self._leave()

    async def _load_relationship(self, relationship: Any, parents: list[Any]) -> None:
        query, assign = plan_load(relationship, parents)
        rows: list[Any] = []
        if query is not None:
            sql, params = compile(query, self.state.dialect)
            raw_rows, _ = await self._run(sql, params)
            rows = shape_rows(query, raw_rows or [], self.state)
        assign(rows)

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        self._enter()
        try:
            await self._open_transaction(self._begin_statement())
        finally:
            self._leave()
        try:
            yield self
        except BaseException:
            await self.rollback()
            raise
        await self.commit()

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[AsyncSession]:
        self._enter()
        try:
            await self._flush()
            if not self.in_transaction:
                await self._open_transaction("BEGIN")
            self.savepoint_depth += 1
            name = f"miniorm_savepoint_{self.savepoint_depth}"
            await self.connection.execute(f"SAVEPOINT {name}", [])
            mark = len(self.state.inserted_log)
        finally:
            self._leave()
        try:
            yield self
            await self.flush()
        except BaseException:
            await self._close_savepoint(name, f"ROLLBACK TO SAVEPOINT {name}")
            self.state.undo_inserts_since(mark)
            raise
        await self._close_savepoint(name, None)

    async def _close_savepoint(self, name: str, first_statement: str | None) -> None:
        if self.connection is None:
            return
        if first_statement:
            await self.connection.execute(first_statement, [])
        await self.connection.execute(f"RELEASE SAVEPOINT {name}", [])
        self.savepoint_depth -= 1


__all__ = ["AsyncSession", "SessionError"]
