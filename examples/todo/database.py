"""One database session per request, as a generator dependency.

The code before `yield` runs before the endpoint; the code after runs when the
endpoint is done. If the endpoint raised, the framework throws the exception in
at the `yield`, the `with` block rolls the transaction back, and nothing half-
written stays. Otherwise the block commits. Endpoints never call commit().

Tests replace this dependency with `app.dependency_overrides[get_session]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from miniasgi import Request
from miniorm import Session


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.database.begin() as session:
        yield session
