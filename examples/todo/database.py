"""One database session per request, as an async generator dependency.

The code before `yield` runs before the endpoint; the code after runs when the
endpoint is done. If the endpoint raised, the framework throws the exception in
at the `yield`, the `async with` block rolls the transaction back, and nothing
half-written stays. Otherwise the block commits. Endpoints never call commit().

Why async: a sync session would run in the framework's thread pool, and
a pool of threads waiting for a pool of connections can deadlock under load —
every thread blocked in "give me a connection" while the requests holding the
connections wait for a thread to finish in (the classic FastAPI + sync
SQLAlchemy trap). An async session waits for its connection on the event loop,
which holds no thread while it waits.

Tests replace this dependency with `app.dependency_overrides[get_session]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from miniasgi import Request
from miniorm import AsyncSession


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.database.begin() as session:
        yield session
