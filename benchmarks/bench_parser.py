"""Requests parsed per second: minihttp.http11 against h11 (pure Python) and httptools (C).

What is measured: bytes of one whole request in, every event out (the head
with its header list, the body, the end), with a fresh parser per request,
so each implementation does the work a server does for a new connection.
httptools reports through callbacks; they collect the same things the other
two return (method, target, a header list, the body), as Uvicorn's
httptools protocol does.

Two requests: a browser GET with 10 headers and a small JSON POST. All three
implementations run in the same process, one after another, several times
(interleaved, so a noisy neighbour hurts all of them alike); each run is
timed in CPU seconds of this process, and `ops_per_sec` is the median of the
runs.

Run:  python -m benchmarks.bench_parser          (prints a table and ratios vs h11)
      python -m benchmarks.bench_parser --quick
"""

from __future__ import annotations

import statistics
import sys
import time

import h11
import httptools

from minihttp.http11 import NEED_DATA, EndOfMessage, RequestParser

BROWSER_GET = (
    b"GET /articles/2024/http-parsing?page=2&sort=new HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Referer: https://www.example.com/articles/2024\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: session=8f2a0c1e9b7d4f3a; theme=dark; consent=1\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"\r\n"
)
POST_BODY = b'{"name": "write the parser", "done": false, "n": 1}'
SMALL_POST = (
    b"POST /api/items HTTP/1.1\r\n"
    b"Host: api.example.com\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: %d\r\n"
    b"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc\r\n"
    b"\r\n%b"
) % (len(POST_BODY), POST_BODY)
CASES = {"browser GET (10 headers)": BROWSER_GET, "small POST": SMALL_POST}


def parse_minihttp(data: bytes) -> list:
    parser = RequestParser()
    parser.feed(data)
    events = []
    while True:
        event = parser.next_event()
        if event is NEED_DATA:
            raise RuntimeError("incomplete request in benchmark")
        events.append(event)
        if type(event) is EndOfMessage:
            return events


def parse_h11(data: bytes) -> list:
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    events = []
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            raise RuntimeError("incomplete request in benchmark")
        events.append(event)
        if type(event) is h11.EndOfMessage:
            return events


class HttptoolsCollector:
    """The callbacks httptools calls, collecting what the other parsers return."""

    __slots__ = ("url", "headers", "body", "complete")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def parse_httptools(data: bytes) -> HttptoolsCollector:
    collector = HttptoolsCollector()
    parser = httptools.HttpRequestParser(collector)
    parser.feed_data(data)
    parser.get_method()
    parser.get_http_version()
    if not collector.complete:
        raise RuntimeError("incomplete request in benchmark")
    return collector


IMPLEMENTATIONS = {"minihttp": parse_minihttp, "h11": parse_h11, "httptools": parse_httptools}


def time_one_run(parse, data: bytes, operations: int) -> float:
    """Parse `data` `operations` times; return operations per CPU second.

    CPU time of this process (time.process_time), not wall time: on a shared
    machine wall time also counts the moments another process held the core,
    which would hurt whichever implementation happened to be running.
    """
    started = time.process_time()
    for _ in range(operations):
        parse(data)
    return operations / (time.process_time() - started)


def run(quick: bool = False) -> list[dict]:
    """Measure every case and implementation; return one row per (case, impl)."""
    runs_per_impl = 3 if quick else 7
    operations = 2_000 if quick else 20_000
    rows = []
    for case, data in CASES.items():
        results: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
        for parse in IMPLEMENTATIONS.values():
            parse(data)  # warm up, and fail early if a parser rejects the input
        for _ in range(runs_per_impl):
            for name, parse in IMPLEMENTATIONS.items():
                results[name].append(time_one_run(parse, data, operations))
        for name, runs in results.items():
            rows.append({
                "case": case,
                "impl": name,
                "ops_per_sec": statistics.median(runs),
                "runs": runs,
            })
    return rows


def main(argv: list[str]) -> None:
    rows = run(quick="--quick" in argv)
    by_case: dict[str, dict[str, float]] = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["impl"]] = row["ops_per_sec"]
    print(f"{'case':28} {'impl':10} {'requests/s':>12} {'vs h11':>8}")
    for case, speeds in by_case.items():
        for impl, speed in speeds.items():
            print(f"{case:28} {impl:10} {speed:12,.0f} {speed / speeds['h11']:7.2f}x")
    for case, speeds in by_case.items():
        print(
            f"{case}: minihttp is {speeds['minihttp'] / speeds['h11']:.2f}x h11 and "
            f"{speeds['minihttp'] / speeds['httptools']:.2f}x httptools"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
