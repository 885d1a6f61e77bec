"""One server's own work per request, in process: no sockets, no load generator.

The servers suite measures what a client sees, and that includes the kernel:
system calls, the loopback TCP stack, the scheduler. This tool measures only
the server's Python (and C) per request: the server's protocol object is fed
one hello request at a time through a stand-in transport that records what
is written, on a real event loop, and the app's response comes back through
it. Two measures:

- time per request (the best of seven batches): quick, but as noisy as the
  machine;
- with --callgrind, instructions per request, counted by valgrind: the same
  count on every run whatever else the machine is doing, so a change of a few
  percent shows. The count is the difference between a run of N + 2,000
  requests and one of N, so start-up and imports cancel out.

Both servers get the same request (wrk's: a request line and a Host) and the
same app (benchmarks.apps.hello), and Uvicorn gets the Date and Server
headers its server loop would give it.

Run it:  python -m benchmarks.per_request [--callgrind]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from email.utils import formatdate

from benchmarks.apps import hello

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
SERVERS = ("minihttp", "uvicorn")
LOOPS = ("uvloop", "asyncio", "mini")
CALLGRIND_EXTRA_REQUESTS = 2000


class RecordingTransport:
    """Enough of an asyncio transport for one server connection; hands each write to a waiter."""

    def __init__(self) -> None:
        self.waiter: asyncio.Future | None = None

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default)

    def write(self, data: bytes) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(data)  # Uvicorn writes twice: the head wakes the waiter

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def make_protocol(server: str, loop: asyncio.AbstractEventLoop):
    if server == "minihttp":
        from minihttp.config import Config
        from minihttp.server import HTTPConnection, ServerState

        return HTTPConnection(ServerState(hello, Config(app=hello, access_log=False), loop))
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    config = Config(app=hello, access_log=False, lifespan="off", http="httptools")
    config.load()
    state = ServerState()
    state.default_headers = [(b"date", formatdate(usegmt=True).encode()),
                             *config.encoded_headers]
    return HttpToolsProtocol(config=config, server_state=state, app_state={}, _loop=loop)


async def serve_requests(server: str, count: int, batches: int) -> float:
    """Answer `count` requests `batches` times; the best batch's microseconds per request."""
    loop = asyncio.get_running_loop()
    protocol = make_protocol(server, loop)
    transport = RecordingTransport()
    protocol.connection_made(transport)

    async def one_request() -> bytes:
        transport.waiter = loop.create_future()
        protocol.data_received(REQUEST)
        return await transport.waiter

    first = await one_request()
    if not first.startswith(b"HTTP/1.1 200 "):
        raise RuntimeError(f"{server} answered {first[:60]!r}, not 200: the count would be void")
    best = float("inf")
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(count):
            await one_request()
        best = min(best, (time.perf_counter() - started) / count * 1e6)
    return best


def run_on_loop(loop_name: str, coroutine):
    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(coroutine)
    if loop_name == "mini":
        from minihttp.loop import run

        return run(coroutine)
    return asyncio.run(coroutine)


def instructions_per_request(server: str, loop_name: str, count: int) -> int:
    """valgrind's instruction count for `count` + CALLGRIND_EXTRA_REQUESTS requests, minus `count`."""
    totals = []
    for requests in (count, count + CALLGRIND_EXTRA_REQUESTS):
        completed = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             "-m", "benchmarks.per_request", "--server", server, "--loop", loop_name,
             "--requests", str(requests), "--batches", "1"],
            capture_output=True, text=True, check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        totals.append(int(re.search(r"Collected : (\d+)", completed.stderr).group(1)))
    return (totals[1] - totals[0]) // CALLGRIND_EXTRA_REQUESTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=SERVERS, action="append")
    parser.add_argument("--loop", choices=LOOPS, action="append")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--callgrind", action="store_true",
                        help="count instructions with valgrind (slow, steady) instead of timing")
    options = parser.parse_args(argv)
    if options.callgrind and shutil.which("valgrind") is None:
        parser.error("--callgrind needs valgrind: apt-get install valgrind")
    for loop_name in options.loop or LOOPS:
        for server in options.server or SERVERS:
            if server == "uvicorn" and loop_name == "mini":
                continue  # Uvicorn runs on asyncio or uvloop only
            if options.callgrind:
                count = instructions_per_request(server, loop_name, 200)
                print(f"{server:9} on {loop_name:8} {count:9,} instructions per request")
            else:
                microseconds = run_on_loop(
                    loop_name, serve_requests(server, options.requests, options.batches))
                print(f"{server:9} on {loop_name:8} {microseconds:7.2f} µs per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
