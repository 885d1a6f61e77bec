"""Memory per idle keep-alive connection: what a server holds for a client that waits.

A thousand clients each send one request, read the answer, and stay connected
doing nothing — the shape of browsers behind keep-alive. The server's resident
memory (VmRSS from /proc) is read before and after; the difference divided by
the connection count is what one idle connection costs. Lower is better here:
the ratio to the baseline (Uvicorn + httptools on the same loop) should be
small. The goal in issue 4: minihttp at most half of Uvicorn's.

Run it:  python -m benchmarks memory [--quick] [--connections N]
"""

from __future__ import annotations

import socket
import time

from benchmarks.bench_servers import HELLO_APP, baseline_for
from benchmarks.servers import ServerSpec, running_server, server_pid

SERVERS = [
    ServerSpec("minihttp", "mini"),
    ServerSpec("minihttp", "asyncio"),
    ServerSpec("minihttp", "uvloop"),
    ServerSpec("uvicorn", "asyncio", "httptools"),
    ServerSpec("uvicorn", "uvloop", "httptools"),
]
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


def resident_kilobytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS line for pid {pid}")


def open_idle_connections(port: int, count: int) -> list[socket.socket]:
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(REQUEST)
        received = b""
        while b"\r\n\r\n" not in received or not received.endswith(b"Hello, world!"):
            received += connection.recv(4096)
        connections.append(connection)
    return connections


def measure(spec: ServerSpec, count: int) -> float:
    with running_server(spec, HELLO_APP, cpus="0") as port:
        pid = server_pid(port)
        open_idle_connections(port, 50)  # warm up: first-request costs, allocator pools
        time.sleep(0.2)
        before = resident_kilobytes(pid)
        connections = open_idle_connections(port, count)
        time.sleep(0.5)  # let the server settle every connection into its idle state
        after = resident_kilobytes(pid)
        for connection in connections:
            connection.close()
    return (after - before) / count


def run(quick: bool = False, duration: float | None = None, connections: int | None = None,
        progress=None) -> list[dict]:
    del duration  # nothing here is timed
    count = connections or (200 if quick else 2000)
    rows = []
    for spec in SERVERS:
        if progress:
            progress(f"idle connections: {spec.name}")
        runs = [measure(spec, count) for _ in range(1 if quick else 3)]
        rows.append({"case": f"KB per idle connection ({count})", "impl": spec.name,
                     "baseline": baseline_for(spec), "ops_per_sec": sorted(runs)[len(runs) // 2],
                     "runs": runs, "unit": "KB"})
    return rows
