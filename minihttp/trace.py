"""--trace: watch one request travel through every layer of the server.

With ``--trace`` the server prints, for every connection and request, what each
layer did, in the order it happened, with the milliseconds since the
connection opened::

    [conn 1    0.00 ms] transport  connection from 127.0.0.1:51234
    [conn 1    0.41 ms] transport  read 78 bytes: b'GET / HTTP/1.1\\r\\nHost: ...'
    [conn 1    0.52 ms] http11     event RequestHead(method=b'GET', target=b'/', ...)
    [conn 1    0.60 ms] server     scope {'type': 'http', 'method': 'GET', 'path': '/', ...}
    [conn 1    0.71 ms] asgi       app <- receive() = {'type': 'http.request', ...}
    [conn 1    0.80 ms] asgi       app -> send({'type': 'http.response.start', ...})
    [conn 1    0.88 ms] transport  write 117 bytes: b'HTTP/1.1 200 OK\\r\\n...'
    [conn 1    0.95 ms] server     request done in 0.43 ms

The tracing classes are subclasses of the server's connection and cycle that
print and then do exactly what their parents do; the server picks them at
startup only when asked, so tracing costs nothing when it is off. Lines go to
stderr, each written whole, so the traces of concurrent connections interleave
line by line but stay readable.
"""

from __future__ import annotations

import itertools
import sys
import time
from typing import Any

from minihttp.request_cycle import RequestCycle
from minihttp.server import HTTPConnection

PREVIEW_BYTES = 120
connection_numbers = itertools.count(1)


def preview(data: bytes) -> str:
    shown = repr(bytes(data[:PREVIEW_BYTES]))
    return shown + (f" ... ({len(data) - PREVIEW_BYTES} more)" if len(data) > PREVIEW_BYTES else "")


def short_message(message: Any) -> str:
    if isinstance(message, dict) and isinstance(message.get("body"), bytes | bytearray):
        message = {**message, "body": preview(message["body"])}
    return repr(message)


class Tracer:
    """Prints one line per step for one connection."""

    def __init__(self) -> None:
        self.number = next(connection_numbers)
        self.opened = time.perf_counter()

    def __call__(self, layer: str, text: str) -> None:
        elapsed = (time.perf_counter() - self.opened) * 1000
        sys.stderr.write(f"[conn {self.number:<3} {elapsed:8.2f} ms] {layer:<10} {text}\n")
        sys.stderr.flush()


class TracingParser:
    """Wraps the parser: reports every event it hands out."""

    def __init__(self, parser: Any, tracer: Tracer) -> None:
        self.parser = parser
        self.tracer = tracer

    def feed(self, data: bytes) -> None:
        self.parser.feed(data)

    @property
    def buffered_bytes(self) -> int:
        return self.parser.buffered_bytes

    def next_event(self) -> Any:
        try:
            event = self.parser.next_event()
        except Exception as error:
            self.tracer("http11", f"refused the input: {error}")
            raise
        self.tracer("http11", f"event {event!r}")
        return event


class TracingTransport:
    """Wraps the transport: reports every write."""

    def __init__(self, transport: Any, tracer: Tracer) -> None:
        self.transport = transport
        self.tracer = tracer

    def write(self, data: bytes) -> None:
        self.tracer("transport", f"write {len(data)} bytes: {preview(data)}")
        self.transport.write(data)

    def close(self) -> None:
        self.tracer("transport", "close")
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class TracingConnection(HTTPConnection):
    __slots__ = ("tracer",)

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.tracer = Tracer()
        self.parser = TracingParser(self.parser, self.tracer)

    def connection_made(self, transport: Any) -> None:
        peer = transport.get_extra_info("peername")
        self.tracer("transport", f"connection from {peer!r}")
        super().connection_made(TracingTransport(transport, self.tracer))

    def data_received(self, data: bytes) -> None:
        self.tracer("transport", f"read {len(data)} bytes: {preview(data)}")
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.tracer("transport", f"connection lost ({exc or 'closed cleanly'})")
        super().connection_lost(exc)

    def pause_reading(self) -> None:
        self.tracer("server", "pause reading (flow control)")
        super().pause_reading()

    def deadline_reached(self) -> None:
        self.tracer("server", f"timer fired in state {self.state}")
        super().deadline_reached()


class TracingCycle(RequestCycle):
    __slots__ = ("tracer", "started")

    def __init__(self, connection: Any, head: Any, scope: dict[str, Any]) -> None:
        super().__init__(connection, head, scope)
        self.tracer = connection.tracer
        self.started = time.perf_counter()
        self.tracer("server", f"scope {scope!r}")

    async def run_app(self) -> None:
        self.tracer("asgi", "calling app(scope, receive, send)")
        await super().run_app()
        took = (time.perf_counter() - self.started) * 1000
        self.tracer("server", f"request done in {took:.2f} ms, keep-alive {self.keep_alive}")

    async def receive(self) -> dict[str, Any]:
        event = await super().receive()
        self.tracer("asgi", f"app <- receive() = {short_message(event)}")
        return event

    async def send(self, message: Any) -> None:
        self.tracer("asgi", f"app -> send({short_message(message)})")
        await super().send(message)
