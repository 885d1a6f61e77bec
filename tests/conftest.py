"""Fixtures every layer's tests share.

`loop_factory` runs a test once per event loop: asyncio's default loop, uvloop
and minihttp's own loop, so a behaviour suite doubles as the proof that the
three agree.

Hypothesis explores new random examples on every developer run; under CI it
runs a fixed (derandomized) set, so a submission is judged on the same examples
each time and a new edge case surfaces on a developer's machine, not as a
flaky CI failure. `HYPOTHESIS_PROFILE=ci` gives the CI behaviour anywhere.

`postgres_dsn` names the PostgreSQL server the database tests use. On a
newcomer's machine without PostgreSQL those tests skip with a message saying
how to enable them; under CI (CI=true) they fail instead, because a database
test that silently skips in CI checks nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import pytest
from hypothesis import settings

DEFAULT_TEST_DSN = "postgresql://postgres@127.0.0.1:5432/test"

LOOP_NAMES = ("asyncio", "uvloop", "mini")

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
elif os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


def make_loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """Return a zero-argument callable that builds a new loop of the named kind."""
    if name == "asyncio":
        return asyncio.SelectorEventLoop
    if name == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        return uvloop.new_event_loop
    if name == "mini":
        from minihttp.loop import EventLoop

        return EventLoop
    raise ValueError(f"unknown loop {name!r}: choose one of {LOOP_NAMES}")


@pytest.fixture(params=LOOP_NAMES)
def loop_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def loop_factory(loop_name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    return make_loop_factory(loop_name)


@pytest.fixture
def run_async(loop_factory):
    """Run a coroutine to completion on a fresh loop of the parametrized kind."""

    def run(coroutine):
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(coroutine)

    return run


_postgres_probe: dict[str, str | None] = {}


def _probe_postgres(dsn: str) -> str | None:
    """Return None when a connection to `dsn` works, else the reason it does not."""
    if dsn not in _postgres_probe:
        try:
            import psycopg

            with psycopg.connect(dsn, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
            _postgres_probe[dsn] = None
        except Exception as error:  # any failure means "not reachable" here
            _postgres_probe[dsn] = f"{type(error).__name__}: {error}".strip()
    return _postgres_probe[dsn]


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    dsn = os.environ.get("MINIORM_TEST_DSN", DEFAULT_TEST_DSN)
    problem = _probe_postgres(dsn)
    if problem is not None:
        message = (
            f"PostgreSQL is not reachable at {dsn} ({problem}). "
            "Start a server with trust auth and a database 'test', "
            "or point MINIORM_TEST_DSN at one, to run the database tests."
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return dsn
