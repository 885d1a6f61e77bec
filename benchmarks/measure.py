"""One server case measured the same way every time: start, warm up, run, stop.

A case is a server (ServerSpec), an app, a request and a load shape. It is
warmed up first (imports, caches, the kernel's socket buffers), then run
`repeats` times; the row keeps every run's requests per second, so the summary
can show the median with its min–max spread, and the latency of the median run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from benchmarks.load import RequestSpec, run_load
from benchmarks.servers import ServerSpec, running_server

SERVER_CPU = "0"
LOAD_CPUS = "1"


@dataclass(frozen=True)
class LoadShape:
    duration: float = 5.0
    connections: int = 64
    pipeline: int = 1
    repeats: int = 3
    warmup: float = 1.0


def measure_server(spec: ServerSpec, app: str, request: RequestSpec, shape: LoadShape,
                   *, case: str, baseline: str | None, server_cpus: str = SERVER_CPU) -> dict:
    """Return one result row: {"case", "impl", "runs", "ops_per_sec", latency, generator...}."""
    with running_server(spec, app, cpus=server_cpus) as port:
        run_load("127.0.0.1", port, request, duration=shape.warmup,
                 connections=shape.connections, pipeline=shape.pipeline, cpus=LOAD_CPUS)
        results = [
            run_load("127.0.0.1", port, request, duration=shape.duration,
                     connections=shape.connections, pipeline=shape.pipeline, cpus=LOAD_CPUS)
            for _ in range(shape.repeats)
        ]
    rates = [result.requests_per_second for result in results]
    middle = sorted(results, key=lambda result: result.requests_per_second)[len(results) // 2]
    return {
        "case": case,
        "impl": spec.name,
        "baseline": baseline,
        "ops_per_sec": statistics.median(rates),
        "runs": rates,
        "unit": "req/s",
        "latency_p50_ms": middle.latency_p50_ms,
        "latency_p99_ms": middle.latency_p99_ms,
        "errors": sum(result.errors for result in results),
        "generator": middle.generator,
    }
