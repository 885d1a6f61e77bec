"""Session: the blocking conversation with the database.

    with db.session() as session:
        user = User(email="ada@example.com")
        session.add(user)
        session.commit()                      # INSERT ... RETURNING "id"
        print(user.id)                        # filled in from RETURNING
        adults = session.exec(select(User).where(User.age >= 18)).all()

A session is a shell around two cores: the compiler (miniorm.compiler) writes
the SQL, the unit of work (miniorm.unit_of_work) remembers the objects and plans
what to write. The session's own job is I/O: borrow a connection, send BEGIN
before the first statement, send what the cores produced, COMMIT or ROLLBACK,
give the connection back.

Transactions, the rules:

- the first statement opens a transaction (BEGIN) implicitly; `commit()`
  flushes and COMMITs, `rollback()` ROLLBACKs; either one returns the
  connection to the pool, and the next statement opens a new transaction;
- `with session.begin():` makes the transaction explicit: it COMMITs when the
  block ends and ROLLBACKs when an exception leaves it (then re-raises);
- `with session.begin_nested():` is a SAVEPOINT (SQL:2016 §4.35.2, both
  databases): an exception inside rolls back to the savepoint only, and the
  outer transaction goes on;
- statements run with pending changes flushed first (autoflush), so a query
  sees the objects you added;
- after `rollback()` the session forgets every instance it knew (their state in
  the database is unknown); after `commit()` instances keep their values (no
  reload; call `refresh(obj)` to read the database's version).

Misuse is refused with a clear error: anything on a closed session
(SessionClosedError); two threads inside one session at the same moment
(ConcurrentUseError: a session is one unit of work, open one per request or
per thread); a relationship read before it was loaded (NotLoadedError).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from .compiler import compile
from .errors import (
    ConcurrentUseError,
    DatabaseError,
    NoResultFound,
    SessionClosedError,
    SessionError,
)
from .query import Select
from .relationships import plan_load
from .results import Result, shape_rows
from .unit_of_work import FlushStep, SessionState

FAILED_FLUSH_NOTE = (
    "miniorm: the flush failed, so the session rolled its transaction back (PostgreSQL "
    "refuses further statements in a failed transaction anyway) and forgot its objects; "
    "the session is ready for a new transaction"
)
CLOSED_MESSAGE = "this session is closed: open a new one with `with db.session() as session:`"
CONCURRENT_MESSAGE = (
    "this session is already running a statement for another {who}: a session is one unit of "
    "work and cannot be shared; open one session per request/task/thread"
)


class SessionBase:
    """What Session and AsyncSession share that needs no I/O: state and guards."""

    who = "thread"

    def __init__(self, database: Any) -> None:
        self.database = database
        self.state = SessionState(database.dialect)
        self.connection: Any = None
        self.in_transaction = False
        self.savepoint_depth = 0
        self.closed = False
        self._busy = threading.Lock()

    def _enter(self) -> None:
        if self.closed:
            raise SessionClosedError(CLOSED_MESSAGE)
        if not self._busy.acquire(blocking=False):
            raise ConcurrentUseError(CONCURRENT_MESSAGE.format(who=self.who))

    def _leave(self) -> None:
        self._busy.release()

    def _check_idle(self) -> None:
        """For the memory-only methods: refuse while another caller is inside a statement."""
        if self.closed:
            raise SessionClosedError(CLOSED_MESSAGE)
        if self._busy.locked():
            raise ConcurrentUseError(CONCURRENT_MESSAGE.format(who=self.who))

    def add(self, instance: Any) -> None:
        """Track `instance`: a new one is INSERTed at the next flush."""
        self._check_idle()
        self.state.add(instance)

    def add_all(self, instances: Any) -> None:
        for instance in instances:
            self.add(instance)

    def delete(self, instance: Any) -> None:
        """DELETE `instance`'s row at the next flush (a pending new one is just dropped)."""
        self._check_idle()
        self.state.delete(instance)

    def expunge_all(self) -> None:
        """Forget every tracked instance (the identity map starts empty again)."""
        self.state.forget_everything()

    def _begin_statement(self) -> str:
        if self.in_transaction:
            raise SessionError(
                "a transaction is already open in this session (statements open one "
                "implicitly): commit() or rollback() it before `with session.begin():`"
            )
        return "BEGIN"

    def _lost(self, error: BaseException) -> bool:
        # Trust the driver's own flag: psycopg marks a connection broken when the
        # socket fails; an OperationalError on a healthy connection (a statement
        # timeout, a locked SQLite file) leaves the connection usable.
        return bool(self.connection is not None and self.connection.broken)

    def _get_query(self, model: Any, key: Any) -> tuple[str, list[Any]]:
        plan = self.state.plans.get(model) or self.state.plan(model)
        dump = plan.key_dumper
        return plan.get_sql, [key if dump is None or key is None else dump(key)]


class Session(SessionBase):
    """A blocking session; get one from `Database.session()`."""

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- the connection and the transaction -------------------------------
    def _run(self, sql: str, params: list[Any]) -> tuple[list[tuple] | None, int]:
        if not self.in_transaction:
            self._open_transaction("BEGIN")
        try:
            return self.connection.execute(sql, params)
        except DatabaseError as error:
            if self._lost(error):
                self._drop_connection()
            raise

    def _open_transaction(self, statement: str) -> None:
        if self.connection is None:
            self.connection = self.database.pool.acquire()
        try:
            self.connection.execute(statement, [])
        except BaseException as error:
            self._drop_connection(broken=self._lost(error))
            raise
        self.in_transaction = True

    def _drop_connection(self, broken: bool = True) -> None:
        connection, self.connection = self.connection, None
        self.in_transaction = False
        self.savepoint_depth = 0
        if connection is not None:
            self.database.pool.release(connection, broken=broken or connection.broken)
        if broken:
            self.state.forget_everything()

    def _end_transaction(self, statement: str) -> None:
        try:
            if self.in_transaction:
                self.connection.execute(statement, [])
        except BaseException as error:
            self._drop_connection(broken=self._lost(error))
            raise
        self._drop_connection(broken=False)

    def _run_steps(self, steps: list[FlushStep]) -> None:
        for step in steps:
            if len(step.params_list) == 1:
                rows, _ = self._run(step.sql, step.params_list[0])
            else:
                if not self.in_transaction:
                    self._open_transaction("BEGIN")
                rows = self.connection.execute_many_returning(step.sql, step.params_list)
            step.record(rows or [])

    # -- public API -------------------------------------------------------
    def flush(self) -> None:
        """Write pending inserts, updates and deletes now (inside the transaction)."""
        self._enter()
        try:
            self._flush()
        finally:
            self._leave()

    def _flush(self) -> None:
        if self.state.has_changes():
            try:
                self._run_steps(self.state.plan_flush())
            except BaseException as error:
                self._after_failed_flush(error)
                raise

    def _after_failed_flush(self, error: BaseException) -> None:
        if self.savepoint_depth:  # begin_nested() rolls back to its savepoint
            return
        if self.connection is not None:
            self._end_transaction("ROLLBACK")
        self.state.forget_everything()
        error.add_note(FAILED_FLUSH_NOTE)

    def commit(self) -> None:
        """Flush, COMMIT, and give the connection back to the pool."""
        self._enter()
        try:
            self._flush()  # on failure it rolls back itself
            self._end_transaction("COMMIT")
        finally:
            self._leave()

    def rollback(self) -> None:
        """ROLLBACK, forget every tracked instance, and give the connection back."""
        self._enter()
        try:
            if self.connection is not None:
                self._end_transaction("ROLLBACK")
            self.state.forget_everything()
        finally:
            self._leave()

    def close(self) -> None:
        """Roll back anything uncommitted and release the connection. Idempotent."""
        if self.closed:
            return
        try:
            if self.connection is not None:
                self._end_transaction("ROLLBACK")
        finally:
            self.closed = True

    def exec(self, query: Any) -> Result:
        """Run a select/insert/update/delete; pending changes are flushed first."""
        self._enter()
        try:
            self._flush()
            sql, params = compile(query, self.state.dialect)
            rows, rowcount = self._run(sql, params)
            if not isinstance(query, Select):
                return Result(rows or [], rowcount)
            shaped = shape_rows(query, rows or [], self.state)
            for option in query.load_options:
                self._load_relationship(option.relationship, shaped)
            return Result(shaped, rowcount)
        finally:
            self._leave()

    def get(self, model: Any, key: Any) -> Any:
        """The instance with primary key `key`, or None. Served from the identity map if known."""
        found = self.state.identity.get(model, key)
        if found is not None and not self.closed:
            return found
        self._enter()
        try:
            self._flush()
            sql, params = self._get_query(model, key)
            rows, _ = self._run(sql, params)
            loaded = self.state.plan(model).load(rows, self.state.identity, distinct_keys=True)
            return loaded[0] if loaded else None
        finally:
            self._leave()

    def refresh(self, instance: Any) -> None:
        """Re-read `instance`'s row, overwriting its attributes (NoResultFound if gone)."""
        self._enter()
        try:
            self._flush()
            model = type(instance)
            sql, params = self._get_query(model, instance.__dict__[model.__table__.primary_key.name])
            rows, _ = self._run(sql, params)
            refresh_instance(instance, rows, self.state)
        finally:
            self._leave()

    def load(self, instance: Any, relationship_name: str) -> Any:
        """Load one relationship of `instance` now (an explicit, visible query); return it."""
        self._enter()
        try:
            relationship = find_relationship(instance, relationship_name)
            self._load_relationship(relationship, [instance])
            return instance.__dict__[relationship_name]
        finally:
            self._leave()

    def _load_relationship(self, relationship: Any, parents: list[Any]) -> None:
        query, assign = plan_load(relationship, parents)
        rows: list[Any] = []
        if query is not None:
            sql, params = compile(query, self.state.dialect)
            raw_rows, _ = self._run(sql, params)
            rows = shape_rows(query, raw_rows or [], self.state)
        assign(rows)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Session]:
        """An explicit transaction: COMMIT at the end of the block, ROLLBACK on exception."""
        self._enter()
        try:
            self._open_transaction(self._begin_statement())
        finally:
            self._leave()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()

    @contextlib.contextmanager
    def begin_nested(self) -> Iterator[Session]:
        """A SAVEPOINT: an exception in the block undoes the block only, then re-raises."""
        self._enter()
        try:
            self._flush()
            if not self.in_transaction:
                self._open_transaction("BEGIN")
            self.savepoint_depth += 1
            name = f"miniorm_savepoint_{self.savepoint_depth}"
            self.connection.execute(f"SAVEPOINT {name}", [])
            mark = len(self.state.inserted_log)
        finally:
            self._leave()
        try:
            yield self
            self.flush()
        except BaseException:
            self._close_savepoint(name, f"ROLLBACK TO SAVEPOINT {name}")
            self.state.undo_inserts_since(mark)
            raise
        self._close_savepoint(name, None)

    def _close_savepoint(self, name: str, first_statement: str | None) -> None:
        if self.connection is None:  # the connection was lost inside the block
            return
        if first_statement:
            self.connection.execute(first_statement, [])
        self.connection.execute(f"RELEASE SAVEPOINT {name}", [])
        self.savepoint_depth -= 1


def find_relationship(instance: Any, name: str) -> Any:
    relationships = type(instance).__table__.relationships
    if name not in relationships:
        raise SessionError(
            f"{type(instance).__name__} has no relationship {name!r}: it has "
            f"{', '.join(relationships) or 'none'}"
        )
    return relationships[name]


def refresh_instance(instance: Any, rows: list[tuple] | None, state: SessionState) -> None:
    model = type(instance)
    if not rows:
        raise NoResultFound(f"cannot refresh {instance!r}: its row is not in the database")
    plan = state.plan(model)
    row = plan.convert(rows[0])
    for name, value in zip(plan.names, row, strict=True):
        setattr(instance, name, value)
    instance._orm_loaded = plan.snapshot(row)
    state.identity.put(model, row[plan.key_position], instance)
