"""Event loop micro-benchmarks: minihttp.loop against asyncio's loop and uvloop.

Four cases, each run on the three loops in one process, side by side:

- "call_soon": schedule 200 000 plain callbacks, run them all (the ready queue).
- "timers": set 50 000 timers over 10 ms, cancel half, let the rest fire (the heap).
- "echo ping-pong": one TCP connection over 127.0.0.1; the client sends 64 bytes,
  the server's protocol echoes them from data_received() with transport.write(),
  the client sends again when the echo arrives (the server's hot path).
- "connect+echo+close": 2 000 connections one after the other, one echo each
  (accept, transport setup and teardown: HTTP without keep-alive).

Run it:  python -m benchmarks.bench_loop          (or with --quick)
`run(quick)` returns rows {"case", "impl", "ops_per_sec", "runs", "cpu_ops_per_sec"}
for the harness; "ops_per_sec" is the best wall-clock rate of the runs (the least
disturbed by other processes), "cpu_ops_per_sec" the best rate per CPU second
of this process, which a busy machine disturbs less.
"""

from __future__ import annotations

import asyncio
import sys
import time
from functools import partial

from minihttp.loop import EventLoop

CALLBACKS = 200_000
TIMERS = 50_000
ROUND_TRIPS = 20_000
CONNECTIONS = 2_000
MESSAGE = b"x" * 64


def loop_factories() -> dict:
    factories = {"asyncio": asyncio.SelectorEventLoop, "mini": EventLoop}
    try:
        import uvloop
    except ImportError:
        return factories
    factories["uvloop"] = uvloop.new_event_loop
    return factories


async def call_soon_case(count: int) -> float:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    remaining = [count]

    def tick() -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            done.set_result(None)

    started = time.perf_counter()
    for _ in range(count):
        loop.call_soon(tick)
    await done
    return time.perf_counter() - started


async def timers_case(count: int) -> float:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    remaining = [count - count // 2]

    def fire() -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            done.set_result(None)

    started = time.perf_counter()
    now = loop.time()
    handles = [loop.call_at(now + (index % 1000) * 1e-5, fire) for index in range(count)]
    for handle in handles[::2]:
        handle.cancel()
    await done
    return time.perf_counter() - started


class EchoServerProtocol(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


class PingPongClientProtocol(asyncio.Protocol):
    def __init__(self, round_trips: int, done: asyncio.Future) -> None:
        self.remaining = round_trips
        self.received = 0
        self.done = done

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received < len(MESSAGE):
            return
        self.received -= len(MESSAGE)
        self.remaining -= 1
        if self.remaining:
            self.transport.write(MESSAGE)
        elif not self.done.done():
            self.done.set_result(None)


async def echo_case(round_trips: int) -> float:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(EchoServerProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    done = loop.create_future()
    transport, _ = await loop.create_connection(
        lambda: PingPongClientProtocol(round_trips, done), "127.0.0.1", port
    )
    started = time.perf_counter()
    transport.write(MESSAGE)
    await done
    elapsed = time.perf_counter() - started
    transport.close()
    server.close()
    await server.wait_closed()
    return elapsed


class OneShotClientProtocol(asyncio.Protocol):
    """Sends one message, and closes when the echo comes back."""

    def __init__(self, done: asyncio.Future) -> None:
        self.done = done

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(MESSAGE)

    def data_received(self, data: bytes) -> None:
        self.transport.close()

    def connection_lost(self, error) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def connections_case(count: int) -> float:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(EchoServerProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.perf_counter()
    for _ in range(count):
        done = loop.create_future()
        await loop.create_connection(partial(OneShotClientProtocol, done), "127.0.0.1", port)
        await done
    elapsed = time.perf_counter() - started
    server.close()
    await server.wait_closed()
    return elapsed


CASES = {
    "call_soon": (call_soon_case, CALLBACKS),
    "timers": (timers_case, TIMERS),
    "echo ping-pong": (echo_case, ROUND_TRIPS),
    "connect+echo+close": (connections_case, CONNECTIONS),
}


def measure(factory, case, operations: int) -> tuple[float, float]:
    """(operations per wall-clock second, operations per CPU second of this process)."""
    cpu_started = time.process_time()
    with asyncio.Runner(loop_factory=factory) as runner:
        elapsed = runner.run(case(operations))
    cpu_elapsed = time.process_time() - cpu_started
    return operations / elapsed, operations / cpu_elapsed


def run(quick: bool = False) -> list[dict]:
    """Measure every case on every loop, 5 interleaved runs (quick: 1/10 of the work, 1 run)."""
    repetitions = 1 if quick else 5
    rows = []
    factories = loop_factories()
    for case_name, (case, operations) in CASES.items():
        operations = operations // 10 if quick else operations
        runs = {impl: [] for impl in factories}
        cpu_runs = {impl: [] for impl in factories}
        for _ in range(repetitions):  # interleave loops so drift hits all alike
            for impl, factory in factories.items():
                wall_rate, cpu_rate = measure(factory, case, operations)
                runs[impl].append(wall_rate)
                cpu_runs[impl].append(cpu_rate)
        for impl, values in runs.items():
            rows.append(
                {
                    "case": case_name,
                    "impl": impl,
                    "ops_per_sec": max(values),
                    "runs": values,
                    # CPU time counts only this process, so it is steadier than wall
                    # time on a shared machine (the echo client and server both run here).
                    "cpu_ops_per_sec": max(cpu_runs[impl]),
                }
            )
    return rows


def format_table(rows: list[dict]) -> str:
    asyncio_rows = {row["case"]: row for row in rows if row["impl"] == "asyncio"}
    lines = [
        f"{'case':<20}{'impl':<9}{'ops/sec':>14}{'vs asyncio':>12}"
        f"{'ops/CPU-sec':>14}{'vs asyncio':>12}"
    ]
    for row in rows:
        baseline = asyncio_rows[row["case"]]
        wall_ratio = row["ops_per_sec"] / baseline["ops_per_sec"]
        cpu_ratio = row["cpu_ops_per_sec"] / baseline["cpu_ops_per_sec"]
        lines.append(
            f"{row['case']:<20}{row['impl']:<9}{row['ops_per_sec']:>14,.0f}{wall_ratio:>11.2f}x"
            f"{row['cpu_ops_per_sec']:>14,.0f}{cpu_ratio:>11.2f}x"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(run(quick="--quick" in sys.argv)))
