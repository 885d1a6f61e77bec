"""One server case measured the same way every time: start, warm up, run, stop.

A case is a server (ServerSpec), an app, a request and a load shape. It is
warmed up first (imports, caches, the kernel's socket buffers), then run
`repeats` times; the row keeps every run's requests per second, so the summary
can show the median with its min–max spread, and the latency of the median run.
Servers compared in one case run side by side: started together, measured in
interleaved rounds (measure_side_by_side), so that the machine's drift hits
them alike.
Each run also reads the server's CPU time from /proc, for the CPU it spent per
request: on a shared machine a run can lose its core for a while, which moves
requests per second a lot and CPU per request little.
"""

from __future__ import annotations

import contextlib
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


@dataclass(frozen=True)
class Contender:
    """One server in a side-by-side case: what runs, what it is asked, what it is read against."""

    spec: ServerSpec
    app: str
    request: RequestSpec
    baseline: str | None
    impl: str | None = None  # the row's name; the server's name by default
    environment: dict[str, str] | None = None


def measure_server(spec: ServerSpec, app: str, request: RequestSpec, shape: LoadShape,
                   *, case: str, baseline: str | None, server_cpus: str = SERVER_CPU,
                   environment: dict[str, str] | None = None) -> dict:
    """Return one result row: {"case", "impl", "runs", "ops_per_sec", latency, generator...}."""
    contender = Contender(spec, app, request, baseline, environment=environment)
    return measure_side_by_side([contender], shape, case=case, server_cpus=server_cpus)[0]


def measure_side_by_side(contenders: list[Contender], shape: LoadShape, *, case: str,
                         server_cpus: str = SERVER_CPU, progress=None) -> list[dict]:
    """Measure several servers on one case in interleaved rounds; one row each.

    All of them are started first (an idle server costs nothing), then each
    round runs the load once against each in turn. On a shared machine whose
    speed drifts from minute to minute (a VM's neighbours), a slow minute then
    falls on every contender alike instead of on whichever ran during it.
    """
    with contextlib.ExitStack() as servers:
        started = []  # (port, pid or None), one per contender
        for contender in contenders:
            port = servers.enter_context(running_server(
                contender.spec, contender.app, cpus=server_cpus,
                environment=contender.environment))
            check_first_response(port, contender.request, contender.spec.name)
            # With workers, the process on the port is a supervisor that serves nothing:
            # its CPU time says nothing about a request, so none is reported.
            started.append((port, server_pid(port) if contender.spec.workers == 1 else None))
        for (port, _), contender in zip(started, contenders, strict=True):
            run_load("127.0.0.1", port, contender.request, duration=shape.warmup,
                     connections=shape.connections, pipeline=shape.pipeline, cpus=LOAD_CPUS)
        runs: list[list[tuple]] = [[] for _ in contenders]
        for round_number in range(shape.repeats):
            for (port, pid), contender, measured in zip(started, contenders, runs, strict=True):
                if progress:
                    progress(f"{case}: {contender.impl or contender.spec.name}, "
                             f"round {round_number + 1} of {shape.repeats}")
                measured.append(one_run(port, pid, contender.request, shape))
    return [result_row(contender, case, measured)
            for contender, measured in zip(contenders, runs, strict=True)]


def one_run(port: int, pid: int | None, request: RequestSpec, shape: LoadShape):
    """(load result, the server's CPU microseconds per request or None) for one timed run."""
    cpu_before, started = cpu_seconds(pid) if pid else 0.0, time.monotonic()
    result = run_load("127.0.0.1", port, request, duration=shape.duration,
                      connections=shape.connections, pipeline=shape.pipeline, cpus=LOAD_CPUS)
    if pid is None or not result.requests_per_second:
        return result, None
    cpu_used, elapsed = cpu_seconds(pid) - cpu_before, time.monotonic() - started
    return result, cpu_used / (result.requests_per_second * elapsed) * 1e6


def result_row(contender: Contender, case: str, measured: list[tuple]) -> dict:
    results = [result for result, _ in measured]
    rates = [result.requests_per_second for result in results]
    if not any(rates):
        raise RuntimeError(f"{contender.spec.name} answered no request of "
                           f"{contender.request.method} {contender.request.path} successfully "
                           f"({results[0].errors} errors)")
    middle = sorted(results, key=lambda result: result.requests_per_second)[len(results) // 2]
    cpu_per_request = [cpu for _, cpu in measured if cpu is not None]
    return {
        "case": case,
        "impl": contender.impl or contender.spec.name,
        "baseline": contender.baseline,
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
