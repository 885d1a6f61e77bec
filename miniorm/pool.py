"""A connection pool: keep a few open connections and lend them out.

Opening a PostgreSQL connection costs a TCP handshake, authentication and a
backend process (milliseconds); a query by primary key costs a fraction of one.
So a session borrows an open connection from the pool and gives it back when
its transaction ends. The rules, the same for the blocking `Pool` and the
`AsyncPool`:

- at most `size` connections exist at once (idle ones plus lent ones);
- a borrower that finds none free waits up to `timeout` seconds, then gets
  PoolTimeoutError (which names the pool's size: the likely fix);
- **health check on checkout**: a connection that the driver already knows is
  closed or broken is thrown away, and one idle for longer than
  `check_after_idle` seconds is first asked `SELECT 1` (a server restart or an
  idle-timeout on a firewall kills idle connections silently); a failed check
  means a fresh connection instead;
- a connection given back as *broken* (its statement died with a lost
  connection) is closed and its place freed, so the next borrower gets a new
  one: the pool heals itself;
- the borrowing is written as `with pool.connection() as c:` so an exception
  still returns the connection.

The bookkeeping (`PoolState`) is plain data with no locks and no I/O; `Pool`
wraps it in a `threading.Condition`, `AsyncPool` in an `asyncio.Condition`.
Time comes from `clock`, a parameter, so tests can move it by hand.

An SQLite in-memory database lives inside one connection (a second connection
would see a second, empty database), so for `sqlite://` the database object
makes a pool of size 1 whose connection is never replaced by age.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from .errors import PoolTimeoutError


class PoolState:
    """Which connections are idle (and since when), and how many exist. No I/O."""

    def __init__(self, size: int, clock: Callable[[], float]) -> None:
        if size < 1:
            raise ValueError(f"a pool needs size >= 1, got {size}")
        self.size = size
        self.clock = clock
        self.idle: deque[tuple[Any, float]] = deque()  # (connection, idle since)
        self.open_count = 0
        self.closed = False

    def take_idle(self) -> tuple[Any, float] | None:
        """The most recently returned idle connection and how long it idled, or None."""
        if not self.idle:
            return None
        connection, since = self.idle.pop()  # LIFO: the warmest connection first
        return connection, self.clock() - since

    def reserve_new(self) -> bool:
        """Claim a place for a new connection, if the pool is below its size."""
        if self.open_count < self.size:
            self.open_count += 1
            return True
        return False

    def forget(self) -> None:
        """A connection was closed (or never opened): free its place."""
        self.open_count -= 1

    def give_back(self, connection: Any) -> None:
        self.idle.append((connection, self.clock()))

    def timeout_message(self, timeout: float) -> str:
        return (f"no database connection became free within {timeout} s: all {self.size} are "
                "in use. Close sessions sooner (use `with db.session()`), or raise pool_size")


class Pool:
    """A thread-safe pool for blocking connections.

    `connect()` opens a connection; `check(connection)` returns whether it still
    works (it may run a query); `is_broken(connection)` reads the driver's own flag
    without I/O; `close(connection)` closes it.
    """

    def __init__(self, connect: Callable[[], Any], *, check: Callable[[Any], bool],
                 is_broken: Callable[[Any], bool], close: Callable[[Any], None],
                 size: int = 5, timeout: float = 30.0, check_after_idle: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.state = PoolState(size, clock)
        self._connect, self._check, self._is_broken, self._close = connect, check, is_broken, close
        self.timeout, self.check_after_idle = timeout, check_after_idle
        self._condition = threading.Condition()

    def acquire(self) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            taken, reserved = self._wait_for_turn(deadline)
            if reserved:
                try:
                    return self._connect()
                except BaseException:
                    self._discard(None)
                    raise
            connection, idle_for = taken
            if self._healthy(connection, idle_for):
                return connection
            self._discard(connection)  # and loop: the freed place opens a fresh one

    def _wait_for_turn(self, deadline: float) -> tuple[Any, bool]:
        """Return (idle connection, False) or (None, True) when a new one may be opened."""
        with self._condition:
            while True:
                taken = self.state.take_idle()
                if taken is not None:
                    return taken, False
                if self.state.reserve_new():
                    return None, True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolTimeoutError(self.state.timeout_message(self.timeout))
                self._condition.wait(remaining)

    def _healthy(self, connection: Any, idle_for: float) -> bool:
        if self._is_broken(connection):
            return False
        return idle_for < self.check_after_idle or self._check(connection)

    def release(self, connection: Any, *, broken: bool = False) -> None:
        """Give a connection back; `broken=True` (or a broken driver flag) closes it."""
        if broken or self._is_broken(connection) or self.state.closed:
            self._discard(connection)
            return
        with self._condition:
            self.state.give_back(connection)
            self._condition.notify()

    def _discard(self, connection: Any) -> None:
        if connection is not None:
            try:
                self._close(connection)
            except Exception:  # closing a dead connection may fail; it is gone either way
                pass
        with self._condition:
            self.state.forget()
            self._condition.notify()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        connection = self.acquire()
        try:
            yield connection
        except BaseException:
            self.release(connection, broken=self._is_broken(connection))
            raise
        self.release(connection)

    def close(self) -> None:
        """Close the idle connections; lent ones are closed when they come back."""
        with self._condition:
            self.state.closed = True
            idle = [connection for connection, _ in self.state.idle]
            self.state.idle.clear()
        for connection in idle:
            self._discard(connection)


class AsyncPool:
    """The same pool for connections whose methods are coroutines.

    `connect`, `check` and `close` are async functions; `is_broken` is a plain one.
    """

    def __init__(self, connect: Callable[[], Awaitable[Any]], *,
                 check: Callable[[Any], Awaitable[bool]], is_broken: Callable[[Any], bool],
                 close: Callable[[Any], Awaitable[None]], size: int = 5, timeout: float = 30.0,
                 check_after_idle: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.state = PoolState(size, clock)
        self._connect, self._check, self._is_broken, self._close = connect, check, is_broken, close
        self.timeout, self.check_after_idle = timeout, check_after_idle
        self._condition: asyncio.Condition | None = None
        self._condition_loop: asyncio.AbstractEventLoop | None = None

    @property
    def condition(self) -> asyncio.Condition:
        # An asyncio.Condition belongs to the loop it first waited on. A database
        # object may outlive a loop (a test suite runs each test on a new one), so
        # the condition is made anew for each loop that uses the pool.
        loop = asyncio.get_running_loop()
        if self._condition is None or self._condition_loop is not loop:
            self._condition, self._condition_loop = asyncio.Condition(), loop
        return self._condition

    async def acquire(self) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            taken, reserved = await self._wait_for_turn(deadline)
            if reserved:
                try:
                    return await self._connect()
                except BaseException:
                    await self._discard(None)
                    raise
            connection, idle_for = taken
            if not self._is_broken(connection) and (
                idle_for < self.check_after_idle or await self._check(connection)
            ):
                return connection
            await self._discard(connection)  # and loop: the freed place opens a fresh one

    async def _wait_for_turn(self, deadline: float) -> tuple[Any, bool]:
        """Return (idle connection, False) or (None, True) when a new one may be opened."""
        async with self.condition:
            while True:
                taken = self.state.take_idle()
                if taken is not None:
                    return taken, False
                if self.state.reserve_new():
                    return None, True
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise TimeoutError
                    await asyncio.wait_for(self.condition.wait(), remaining)
                except TimeoutError:
                    raise PoolTimeoutError(self.state.timeout_message(self.timeout)) from None

    async def release(self, connection: Any, *, broken: bool = False) -> None:
        if broken or self._is_broken(connection) or self.state.closed:
            await self._discard(connection)
            return
        async with self.condition:
            self.state.give_back(connection)
            self.condition.notify()

    async def _discard(self, connection: Any) -> None:
        if connection is not None:
            try:
                await self._close(connection)
            except Exception:  # closing a dead connection may fail; it is gone either way
                pass
        async with self.condition:
            self.state.forget()
            self.condition.notify()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        connection = await self.acquire()
        try:
            yield connection
        except BaseException:
            await self.release(connection, broken=self._is_broken(connection))
            raise
        await self.release(connection)

    async def close(self) -> None:
        self.state.closed = True
        idle = [connection for connection, _ in self.state.idle]
        self.state.idle.clear()
        for connection in idle:
            await self._discard(connection)
