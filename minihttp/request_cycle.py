"""One request's life in the server: its scope, receive(), send().

minihttp.server owns the connection (reading, parsing, keep-alive, timers);
for every request head it parses it makes one :class:`RequestCycle`, which
is what the application talks to through ASGI (HTTP spec 2.3,
https://asgi.readthedocs.io/en/latest/specs/www.html):

- ``receive()`` hands out the request body as the connection delivers it
  (``http.request`` events with ``more_body``), then ``http.disconnect`` once
  the response is complete or the client has gone. While a delivered chunk
  is not taken, over BODY_HIGH_WATER bytes, the connection stops reading.
- ``send()`` takes the response, checked against a small state machine kept
  as a table, as h11 does ("Response Start" and "Response Body")::

    state          message               next state
    NOT_STARTED    http.response.start   STARTED
    STARTED        http.response.body    STREAMING, or COMPLETE if more_body is false
    STREAMING      http.response.body    STREAMING, or COMPLETE if more_body is false

  Any other (state, message) pair is the application's mistake: send()
  raises ASGIMessageError naming both, the server logs it and answers 500.
  The head waits for the first body message, so that the common response
  (start, then one body) is one write, framed by its length in one call
  (``minihttp.response.complete_response``); a body sent in parts gets a
  ``minihttp.http11.ResponseWriter``, which keeps the framing state.
- ``run_app()`` is the task body: it turns the app's faults into a 500 while
  nothing is on the wire yet, or a closed connection once half a response
  has gone out, and tells the connection when the app is done.
- Expect: 100-continue (RFC 9110 §10.1.1) is answered on the app's first
  receive(), and only while the final response's head is not yet sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from minihttp import http11
from minihttp.asgi import ASGIMessageError
from minihttp.errors import LocalProtocolError
from minihttp.response import complete_response

logger = logging.getLogger("minihttp.error")
access_logger = logging.getLogger("minihttp.access")

# Above this many unread body bytes we stop reading the socket until the app
# calls receive(): the same order as the kernel's socket buffer.
BODY_HIGH_WATER = 65536

NOT_STARTED, STARTED, STREAMING, COMPLETE = "NOT_STARTED", "STARTED", "STREAMING", "COMPLETE"
RESPONSE_TRANSITIONS = {
    (NOT_STARTED, "http.response.start"): STARTED,
    (STARTED, "http.response.body"): STREAMING,
    (STREAMING, "http.response.body"): STREAMING,
}

DISCONNECT_EVENT = {"type": "http.disconnect"}


class RequestCycle:
    """One request and its response: the scope, receive() and send()."""

    __slots__ = (
        "connection", "head", "scope", "writer", "body_chunks", "body_buffered",
        "request_complete", "body_delivered", "continue_pending", "response_state",
        "status", "headers", "disconnected", "app_started", "app_entered", "app_done", "waiter",
        "keep_alive", "peer_done_sending",
    )

    def __init__(self, connection: Any, head: Any, scope: dict[str, Any]) -> None:
        self.connection = connection
        self.head = head
        self.scope = scope
        self.writer: http11.ResponseWriter | None = None  # made for a response sent in parts
        self.body_chunks: list[bytes] = []
        self.body_buffered = 0
        self.request_complete = False
        self.body_delivered = False
        self.continue_pending = head.expect_continue
        self.response_state = NOT_STARTED
        self.status = 0
        self.headers: Any = ()
        self.disconnected = False
        self.app_started = False
        self.app_entered = False  # its task has run its first step
        self.app_done = False
        self.waiter: asyncio.Future | None = None
        self.keep_alive = True
        self.peer_done_sending = False

    async def run_app(self) -> None:
        """Run the app for this request; turn its faults into 500 or a closed connection."""
        self.app_entered = True
        try:
            await self.connection.server.app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            self.keep_alive = False
            raise
        except Exception as error:
            self.app_failed(error)
        else:
            if self.response_state != COMPLETE:
                self.app_failed(None)
        finally:
            self.app_done = True
            if self.peer_done_sending:
                self.keep_alive = False
            connection = self.connection
            connection.app_finished(self)
            if connection.server.access_log:
                self.log_access()

    def app_failed(self, error: Exception | None) -> None:
        scope = self.scope
        what = f"{scope['method']} {scope['path']}"
        if error is None and self.disconnected:
            logger.debug("the client left before the response to %s was complete", what)
        elif error is None:
            logger.error("the app returned without completing the response to %s", what)
        else:
            logger.error("the app raised while answering %s", what, exc_info=error)
        if self.response_state in (NOT_STARTED, STARTED) and not self.disconnected:
            # Nothing is on the wire yet (the head waits for the first body): a clean 500.
            self.status = 500
            self.response_state = COMPLETE
            self.keep_alive = self.head.keep_alive and not self.connection.server.shutting_down
            self.connection.write(
                http11.simple_response(500, "Internal Server Error", keep_alive=self.keep_alive)
            )
        else:
            self.keep_alive = False  # half a response went out: only closing ends it clearly

    # -- receive(): the request body, then http.disconnect --------------------------------

    def body_arrived(self, data: bytes) -> None:
        if self.app_done:
            return  # the app answered without reading the body: discard it
        self.body_chunks.append(data)
        self.body_buffered += len(data)
        if self.body_buffered > BODY_HIGH_WATER:
            self.connection.pause_reading()
        self.wake()

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> dict[str, Any]:
        if self.continue_pending and self.response_state in (NOT_STARTED, STARTED):
            # Only before the final response's head is on the wire (RFC 9110 §15.2).
            self.continue_pending = False
            if not self.request_complete and not self.disconnected:
                self.connection.write(http11.CONTINUE_RESPONSE)
        while True:
            if self.body_chunks and not self.disconnected:
                return self.take_body()
            if self.request_complete and not self.body_delivered and not self.disconnected:
                self.body_delivered = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if self.disconnected or self.response_state == COMPLETE:
                return DISCONNECT_EVENT.copy()
            waiter = self.waiter
            if waiter is None or waiter.done():  # two receivers (a disconnect listener) share it
                waiter = self.waiter = self.connection.server.loop.create_future()
            await waiter
            if self.waiter is waiter:
                self.waiter = None

    def take_body(self) -> dict[str, Any]:
        chunks = self.body_chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.body_buffered = 0
        more_body = not self.request_complete
        self.body_delivered = not more_body
        if more_body:
            self.connection.resume_reading()
        return {"type": "http.request", "body": body, "more_body": more_body}

    # -- send(): the response -------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        try:
            message_type = message["type"]
        except (KeyError, TypeError):
            raise ASGIMessageError(
                f"send() takes a dict with a 'type' key, got {message!r}: "
                "start with {'type': 'http.response.start', 'status': 200, 'headers': [...]}"
            ) from None
        next_state = RESPONSE_TRANSITIONS.get((self.response_state, message_type))
        if next_state is None:
            raise ASGIMessageError(describe_unexpected(self.response_state, message_type))
        if message_type == "http.response.start":
            self.start_response(message)
            return
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if type(body) is not bytes:
            if not isinstance(body, bytes | bytearray | memoryview):
                raise ASGIMessageError(
                    f"http.response.body 'body' must be bytes, got {type(body).__name__}: "
                    "encode text first, e.g. body=text.encode('utf-8')"
                )
            body = bytes(body)
        if self.disconnected:
            self.response_state = COMPLETE if not more_body else STREAMING
            return  # the client is gone; ASGI lets the app finish without noticing
        self.write_body(body, more_body)
        if more_body and not self.connection.writable:
            await self.connection.drain()

    def start_response(self, message: dict[str, Any]) -> None:
        status = message.get("status")
        if type(status) is not int or not 200 <= status <= 599:
            raise ASGIMessageError(
                f"http.response.start needs 'status' as an int from 200 to 599, got {status!r}"
            )
        if message.get("trailers"):
            raise ASGIMessageError(
                "http.response.start asked for trailers, which minihttp does not support: "
                "send the values as ordinary headers instead"
            )
        headers = message.get("headers", ())
        if self.connection.server.shutting_down or (
            self.continue_pending and not self.request_complete
        ):
            # Closing after this response: say so (RFC 9112 §9.6). A client still waiting
            # for 100 Continue never sent its body, so the connection cannot be reused
            # (RFC 9110 §10.1.1: the server SHOULD say whether it will close).
            headers = [*headers, (b"connection", b"close")]
        self.status = status
        self.headers = headers
        self.response_state = STARTED

    def write_body(self, body: bytes, more_body: bool) -> None:
        connection = self.connection
        try:
            if self.response_state == STARTED:
                data = self.first_body(body, more_body)
            else:
                data = self.writer.body(body, more=more_body)  # type: ignore[union-attr]
                self.keep_alive = self.writer.keep_alive  # type: ignore[union-attr]
        except LocalProtocolError as error:
            raise ASGIMessageError(f"the app's response cannot be sent: {error}") from None
        if more_body:
            self.response_state = STREAMING
            connection.write(data)
            return
        self.response_state = COMPLETE
        if connection.server.shutting_down:
            self.keep_alive = False
        connection.write_final(data)
        if self.waiter is not None:
            self.wake()  # a receive() waiting for http.disconnect

    def first_body(self, body: bytes, more_body: bool) -> bytes:
        """The head and the first body chunk, framed; sets keep_alive.

        A body sent whole (the usual response) is framed in one call by
        complete_response(); a streamed one gets a ResponseWriter to keep its
        framing state across the chunks.
        """
        server = self.connection.server
        headers, self.headers = self.headers, ()
        if not more_body:
            whole = complete_response(self.head, self.status, headers, body, server.server_line)
            if whole is not None:
                data, self.keep_alive = whole
                return data
        writer = self.writer = http11.ResponseWriter(self.head, server_header=server.server_header)
        data = writer.head(self.status, headers) + writer.body(body, more=more_body)
        self.keep_alive = writer.keep_alive
        return data

    def log_access(self) -> None:
        scope = self.scope
        client = scope["client"]
        access_logger.info(
            '%s - "%s %s HTTP/%s" %d',
            f"{client[0]}:{client[1]}" if client else "-",
            scope["method"], scope["raw_path"].decode("latin-1"),
            scope["http_version"], self.status,
        )


def describe_unexpected(state: str, message_type: str) -> str:
    expected = {
        NOT_STARTED: "'http.response.start'",
        STARTED: "'http.response.body'",
        STREAMING: "'http.response.body'",
        COMPLETE: "nothing more (the response is complete)",
    }[state]
    return (
        f"unexpected ASGI message {message_type!r} while the response is {state}: "
        f"expected {expected}. A response is one 'http.response.start', then "
        "'http.response.body' messages, the last with more_body=False"
    )
