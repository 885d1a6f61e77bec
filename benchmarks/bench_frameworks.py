"""Frameworks side by side: miniasgi, FastAPI and Starlette on the same server.

The same two endpoints (benchmarks/bench_frameworks_apps.py) in each framework,
each served by minihttp on uvloop, pinned to one core, under the same load:

- "GET path+query": GET /items/42?q=hello, a path and a query parameter
  converted from their annotations, a small JSON answer.
- "POST nested model": POST /orders with a nested JSON body validated into
  models, a computed JSON answer.

The baseline is FastAPI (the issue's goal: miniasgi at least 2x). Starlette does
no validation, so its row is the floor a validating framework is read against.

Run it:  python -m benchmarks frameworks [--quick] [--duration S] [--connections N]
"""

from __future__ import annotations

from benchmarks.bench_frameworks_apps import ORDER_BODY
from benchmarks.bench_servers import shape_for
from benchmarks.load import RequestSpec
from benchmarks.measure import Contender, measure_side_by_side
from benchmarks.servers import ServerSpec

SERVER = ServerSpec("minihttp", "uvloop")
APPS = {
    "miniasgi": "benchmarks.bench_frameworks_apps:miniasgi_app",
    "fastapi": "benchmarks.bench_frameworks_apps:fastapi_app",
    "starlette": "benchmarks.bench_frameworks_apps:starlette_app",
}
CASES = {
    "GET path+query": RequestSpec("GET", "/items/42?q=hello"),
    "POST nested model": RequestSpec("POST", "/orders", (("Content-Type", "application/json"),),
                                     ORDER_BODY),
}


def run(quick: bool = False, duration: float | None = None, connections: int | None = None,
        progress=None) -> list[dict]:
    shape = shape_for(quick, duration, connections)
    rows = []
    for case, request in CASES.items():
        contenders = [Contender(SERVER, app, request, baseline="fastapi", impl=framework)
                      for framework, app in APPS.items()]
        rows += measure_side_by_side(contenders, shape, case=case, progress=progress)
    return rows
