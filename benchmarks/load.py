"""HTTP load generators: wrk when it is installed, a built-in one otherwise.

A server benchmark is only as good as the client that drives it. `wrk` (a C
program, `apt-get install wrk`) can send far more requests than a Python client,
so it is used whenever it is on the PATH; the built-in generator keeps the
benchmarks runnable anywhere and says so in the output ("generator": "builtin").

Both speak HTTP/1.1 with keep-alive over many connections and can pipeline: send
`depth` requests back to back on a connection before reading the responses
(RFC 9112 §9.3.2). Both report requests per second and latency percentiles.

The built-in generator runs in several processes (one core's worth of Python
cannot outrun most servers) and reads responses framed by Content-Length only:
the benchmark apps always send one, and a response without it is an error here,
not a guess.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestSpec:
    """One request the load generator repeats: method, path, headers and body."""

    method: str = "GET"
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def to_bytes(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LoadResult:
    generator: str  # "wrk" or "builtin"
    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    errors: int = 0
    notes: list[str] = field(default_factory=list)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    host: str,
    port: int,
    request: RequestSpec,
    *,
    duration: float,
    connections: int,
    pipeline: int = 1,
    cpus: str | None = None,
    force_builtin: bool = False,
) -> LoadResult:
    """Drive http://host:port with `request` for `duration` seconds; return what was measured.

    `cpus` pins the generator (a taskset CPU list such as "1"), so that it does not
    compete with a server pinned to another core.
    """
    # wrk counts whole seconds; a sub-second (smoke-test) run goes to the built-in generator.
    if wrk_available() and not force_builtin and duration >= 1:
        return run_wrk(host, port, request, duration=duration, connections=connections,
                       pipeline=pipeline, cpus=cpus)
    return run_builtin(host, port, request, duration=duration, connections=connections,
                       pipeline=pipeline, cpus=cpus)


# -- wrk -------------------------------------------------------------------------------

# wrk's Lua hooks: build the (possibly pipelined) request once, then repeat it.
WRK_SCRIPT = """
local depth = {depth}
wrk.method = "{method}"
wrk.body = {body}
{headers}
init = function(args)
    local requests = {{}}
    for i = 1, depth do requests[i] = wrk.format(nil, "{path}") end
    batch = table.concat(requests)
end
request = function() return batch end
"""


def lua_string(data: bytes) -> str:
    return '"' + "".join(f"\\{byte:03d}" for byte in data) + '"'


def run_wrk(host, port, request: RequestSpec, *, duration, connections, pipeline, cpus):
    headers = "\n".join(
        f'wrk.headers["{name}"] = {lua_string(value.encode())}' for name, value in request.headers
    )
    script = WRK_SCRIPT.format(depth=pipeline, method=request.method, path=request.path,
                               body=lua_string(request.body), headers=headers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    threads = max(1, min(connections, len(cpus.split(",")) if cpus else 1))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
               "--latency", "-s", file.name, f"http://{host}:{port}{request.path}"]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True,
                                timeout=duration + 30).stdout
    finally:
        os.unlink(file.name)
    result = parse_wrk_output(output)
    if pipeline > 1:
        # wrk times a request from its write to its response, and a pipelined batch is one
        # write of many requests: its latency figures are not per request (they came out
        # as 0.00 ms, or a p50 above the p99), so none are reported.
        result.latency_p50_ms = result.latency_p99_ms = float("nan")
    return result


UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk_output(output: str) -> LoadResult:
    """Read requests/sec, the 50% and 99% latencies, and errors from wrk's --latency report."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no 'Requests/sec' line; its output was:\n{output}")
    latencies = {
        percent: float(value) * UNIT_TO_MS[unit]
        for percent, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$",
                                               output, re.MULTILINE)
    }
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += int(next(iter(re.findall(r"Non-2xx or 3xx responses: (\d+)", output)), 0))
    return LoadResult("wrk", float(rate.group(1)), latencies.get("50", float("nan")),
                      latencies.get("99", float("nan")), errors)


# -- the built-in generator ------------------------------------------------------------


def run_builtin(host, port, request: RequestSpec, *, duration, connections, pipeline, cpus):
    processes = max(1, min(connections, len(cpus.split(",")) if cpus else 1))
    per_process = [connections // processes + (i < connections % processes)
                   for i in range(processes)]
    payload = request.to_bytes(f"{host}:{port}") * pipeline
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(
            builtin_worker,
            [(host, port, payload, pipeline, count, duration, cpus) for count in per_process],
        )
    completed = sum(count for count, _, _ in results)
    errors = sum(error_count for _, _, error_count in results)
    latencies = sorted(value for _, samples, _ in results for value in samples)
    if not latencies:  # nothing completed in time: the caller decides whether that is an error
        return LoadResult("builtin", 0.0, float("nan"), float("nan"), errors)
    return LoadResult(
        "builtin",
        completed / duration,
        statistics.median(latencies),
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors,
    )


def builtin_worker(host, port, payload, pipeline, connections, duration, cpus):
    """One process's share: keep `connections` sockets busy until the time is up."""
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu) for cpu in cpus.split(",")})
    selector = selectors.DefaultSelector()
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        state = ConnectionState(sock)
        selector.register(sock, selectors.EVENT_READ, state)
        state.send(payload)
    completed, errors, latencies = 0, 0, []
    deadline = time.perf_counter() + duration
    while (now := time.perf_counter()) < deadline:
        for key, _ in selector.select(timeout=deadline - now):
            state = key.data
            try:
                finished = state.receive()
            except (ConnectionError, ProtocolViolation):
                errors += 1
                selector.unregister(state.sock)
                state.sock.close()
                continue
            if finished:
                elapsed_ms = (time.perf_counter() - state.sent_at) * 1000
                latencies.extend([elapsed_ms] * pipeline)
                completed += pipeline
                state.send(payload)
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    return completed, latencies, errors


class ProtocolViolation(Exception):
    """The server's response could not be framed (no Content-Length, or not 2xx)."""


class ConnectionState:
    """One connection's read buffer and how many responses of the batch are still due."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""
        self.pending = 0
        self.sent_at = 0.0

    def send(self, payload: bytes) -> None:
        self.sent_at = time.perf_counter()
        self.pending = payload.count(b" HTTP/1.1\r\n")
        self.sock.sendall(payload)  # small batches fit the socket buffer at once

    def receive(self) -> bool:
        """Read what arrived; True when every response of the batch is complete."""
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += data
        while self.pending and (end := self.buffer.find(b"\r\n\r\n")) != -1:
            head = self.buffer[:end].lower()
            if not head.startswith(b"http/1.1 2"):
                raise ProtocolViolation(head.split(b"\r\n", 1)[0].decode("latin-1"))
            match = re.search(rb"\r\ncontent-length:\s*(\d+)", head)
            if match is None:
                raise ProtocolViolation("a response without Content-Length")
            total = end + 4 + int(match.group(1))
            if len(self.buffer) < total:
                break
            self.buffer = self.buffer[total:]
            self.pending -= 1
        return self.pending == 0
