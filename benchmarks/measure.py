"""One server case measured the same way every time: start, warm up, run, stop.

A case is a server (ServerSpec), an app, a request and a load shape. It is
warmed up first (imports, caches, the kernel's socket buffers), then run
`repeats` times; the row keeps every run's requests per second, so the summary
can show the median with its min–max spread, and the latency of the median run.
Each run also reads the server's CPU time from /proc, for the CPU it spent per
request: on a shared machine a run can lose its core for a while, which moves
requests per second a lot and CPU per request little.
"""

from __future__ import annotations

import socket
import statistics
import time
from dataclasses import dataclass

from benchmarks.load import RequestSpec, run_load
from benchmarks.servers import ServerSpec, cpu_seconds, running_server, server_pid

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
                   *, case: str, baseline: str | None, server_cpus: str = SERVER_CPU,
                   environment: dict[str, str] | None = None) -> dict:
    """Return one result row: {"case", "impl", "runs", "ops_per_sec", latency, generator...}."""
    with running_server(spec, app, cpus=server_cpus, environment=environment) as port:
        check_first_response(port, request, spec.name)
        pid = server_pid(port)
        run_load("127.0.0.1", port, request, duration=shape.warmup,
                 connections=shape.connections, pipeline=shape.pipeline, cpus=LOAD_CPUS)
        results, cpu_per_request = [], []
        for _ in range(shape.repeats):
            cpu_before, started = cpu_seconds(pid), time.monotonic()
            result = run_load("127.0.0.1", port, request, duration=shape.duration,
                              connections=shape.connections, pipeline=shape.pipeline,
                              cpus=LOAD_CPUS)
            cpu_used, elapsed = cpu_seconds(pid) - cpu_before, time.monotonic() - started
            results.append(result)
            if result.requests_per_second:
                cpu_per_request.append(cpu_used / (result.requests_per_second * elapsed) * 1e6)
    rates = [result.requests_per_second for result in results]
    if not any(rates):
        raise RuntimeError(f"{spec.name} answered no request of {request.method} "
                           f"{request.path} successfully ({results[0].errors} errors)")
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
        # The server's own CPU time (user + system) per request served: steadier than
        # requests per second on a shared machine, where the server's core may be
        # taken away for a while (a slower run then also used less CPU).
        "cpu_us_per_request": statistics.median(cpu_per_request) if cpu_per_request else None,
    }


def check_first_response(port: int, request: RequestSpec, name: str, timeout: float = 30.0):
    """Send the request once and wait for a 2xx: the app works, and first-call costs are paid."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request.to_bytes(f"127.0.0.1:{port}"))
        received = b""
        while b"\r\n\r\n" not in received:
            data = connection.recv(65536)
            if not data:
                break
            received += data
    status_line = received.split(b"\r\n", 1)[0].decode("latin-1")
    if not status_line.startswith("HTTP/1.1 2"):
        raise RuntimeError(f"{name} answered {request.method} {request.path} with "
                           f"{status_line or 'nothing'!r}, not a 2xx: the benchmark would be void")
