"""The pool's rules (miniorm.pool), with fake connections and a fake clock,
then a real lost PostgreSQL connection replaced by a fresh one."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pytest

from miniorm import AsyncDatabase, Database, select
from miniorm.errors import OperationalError, PoolTimeoutError
from miniorm.pool import AsyncPool, Pool, PoolState


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeConnection:
    opened = 0

    def __init__(self) -> None:
        FakeConnection.opened += 1
        self.number = FakeConnection.opened
        self.broken = False
        self.alive = True  # what a SELECT 1 would find
        self.checks = 0
        self.closed = False


def make_pool(clock: FakeClock, **options) -> Pool:
    def check(connection: FakeConnection) -> bool:
        connection.checks += 1
        return connection.alive

    def close(connection: FakeConnection) -> None:
        connection.closed = True

    options.setdefault("timeout", 0.05)
    return Pool(FakeConnection, check=check, is_broken=lambda c: c.broken, close=close,
                clock=clock, check_after_idle=10.0, **options)


def test_a_returned_connection_is_lent_again_instead_of_opening_another():
    pool = make_pool(FakeClock(), size=2)
    first = pool.acquire()
    pool.release(first)
    assert pool.acquire() is first and pool.state.open_count == 1


def test_the_pool_never_opens_more_than_its_size_and_times_out_with_advice():
    pool = make_pool(FakeClock(), size=2)
    pool.acquire(), pool.acquire()
    with pytest.raises(PoolTimeoutError, match="all 2 are in use.*raise pool_size"):
        pool.acquire()


def test_a_waiting_borrower_gets_the_connection_another_returns():
    pool = make_pool(FakeClock(), size=1, timeout=5)
    held = pool.acquire()
    got: list[FakeConnection] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire()))
    waiter.start()
    pool.release(held)
    waiter.join(5)
    assert got == [held]


def test_a_connection_idle_past_the_limit_is_checked_on_checkout():
    clock = FakeClock()
    pool = make_pool(clock)
    connection = pool.acquire()
    pool.release(connection)
    clock.now = 5.0
    assert pool.acquire() is connection and connection.checks == 0
    pool.release(connection)
    clock.now = 16.0
    assert pool.acquire() is connection and connection.checks == 1


def test_a_connection_that_fails_its_check_is_replaced():
    clock = FakeClock()
    pool = make_pool(clock, size=1)
    dead = pool.acquire()
    pool.release(dead)
    dead.alive = False
    clock.now = 60.0
    fresh = pool.acquire()
    assert fresh is not dead and dead.closed and pool.state.open_count == 1


def test_a_connection_returned_broken_is_closed_and_its_place_freed():
    pool = make_pool(FakeClock(), size=1)
    connection = pool.acquire()
    connection.broken = True
    pool.release(connection)
    assert connection.closed and pool.state.open_count == 0
    assert pool.acquire() is not connection


def test_the_connection_context_returns_the_connection_when_the_block_raises():
    pool = make_pool(FakeClock(), size=1)
    with pytest.raises(ValueError):
        with pool.connection():
            raise ValueError("boom")
    assert len(pool.state.idle) == 1


def test_a_failing_connect_frees_its_place():
    def refuse() -> None:
        raise OSError("refused")

    pool = Pool(refuse, check=lambda c: True, is_broken=lambda c: False, close=lambda c: None,
                size=1, timeout=0.01)
    for _ in range(2):
        with pytest.raises(OSError):
            pool.acquire()
    assert pool.state.open_count == 0


def test_pool_state_refuses_a_size_below_one():
    with pytest.raises(ValueError, match="size >= 1"):
        PoolState(0, FakeClock())


def test_the_async_pool_follows_the_same_rules(run_async):
    clock = FakeClock()

    async def connect() -> FakeConnection:
        return FakeConnection()

    async def check(connection: FakeConnection) -> bool:
        connection.checks += 1
        return connection.alive

    async def close(connection: FakeConnection) -> None:
        connection.closed = True

    async def scenario() -> None:
        pool = AsyncPool(connect, check=check, is_broken=lambda c: c.broken, close=close,
                         size=1, timeout=0.05, check_after_idle=10.0, clock=clock)
        first = await pool.acquire()
        with pytest.raises(PoolTimeoutError):
            await pool.acquire()
        waiter = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0)
        await pool.release(first)
        assert await waiter is first
        await pool.release(first)
        first.alive, clock.now = False, 30.0
        replacement = await pool.acquire()
        assert replacement is not first and first.closed

    run_async(scenario())


@pytest.fixture(params=["asyncio"])
def loop_name(request: pytest.FixtureRequest) -> str:
    return request.param


# -- a real lost connection --------------------------------------------------------

def terminate_backend(dsn: str, pid: int) -> None:
    """Kill a server process and wait (up to 5 s) until it is gone (PostgreSQL >= 14)."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_lost_postgresql_connection_raises_a_clear_error_and_the_pool_replaces_it(
        postgres_dsn):
    database = Database(postgres_dsn, pool_size=1)
    try:
        with database.session() as session:
            pid_before = session.exec(_backend_pid()).scalar()
            terminate_backend(postgres_dsn, pid_before)
            with pytest.raises(OperationalError, match="lost.*retry the whole transaction"):
                session.exec(_backend_pid())
        with database.session() as session:
            pid_after = session.exec(_backend_pid()).scalar()
        assert pid_after != pid_before and database.pool.state.open_count == 1
    finally:
        database.dispose()


def test_an_idle_connection_killed_by_the_server_is_replaced_at_checkout(postgres_dsn):
    clock = FakeClock()
    database = Database(postgres_dsn, pool_size=1, check_after_idle=1.0, clock=clock)
    try:
        with database.session() as session:
            pid_before = session.exec(_backend_pid()).scalar()
        terminate_backend(postgres_dsn, pid_before)
        clock.now = 5.0
        with database.session() as session:
            assert session.exec(_backend_pid()).scalar() != pid_before
    finally:
        database.dispose()


def test_the_async_session_recovers_from_a_lost_connection_too(postgres_dsn, run_async):
    async def scenario() -> None:
        database = AsyncDatabase(postgres_dsn, pool_size=1)  # no tables: only pg_backend_pid()
        try:
            async with database.session() as session:
                pid_before = (await session.exec(_backend_pid())).scalar()
                terminate_backend(postgres_dsn, pid_before)
                with pytest.raises(OperationalError):
                    await session.exec(_backend_pid())
            async with database.session() as session:
                assert (await session.exec(_backend_pid())).scalar() != pid_before
        finally:
            await database.dispose()

    run_async(scenario())


def _backend_pid():
    from miniorm import func

    return select(func.pg_backend_pid())
