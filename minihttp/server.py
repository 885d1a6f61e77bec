"""The ASGI server: one protocol object per connection, one cycle per request.

This is where bytes become an ASGI call. The event loop hands each accepted
socket to an :class:`HTTPConnection` (an ``asyncio.Protocol``); the connection
feeds what it reads to the sans-I/O parser (``minihttp.http11``) and dispatches
the parser's events, one branch per event:

    RequestHead  -> build the scope and a RequestCycle for it
    BodyData     -> hand the chunk to the cycle, where receive() picks it up
    EndOfMessage -> the request is complete: start the app task if not yet
                    (app(scope, receive, send)); parse no further until it answers
    NEED_DATA    -> start the app if a body is still arriving; wait for more bytes

Starting the app only once the bytes already read are dispatched means a
request that arrived whole is seen whole by the app's first receive().

Each request's own life -- its scope, receive(), send() and the response's
state machine -- is a :class:`minihttp.request_cycle.RequestCycle`; this
module is the connection around it.

The connection's own life (RFC 9112 §9, persistence)::

    NEW, IDLE --head parsed--> BUSY --response sent, keep-alive--> IDLE
     |                          |  \\--response sent, no keep-alive--> CLOSED
     \\--timeout----------------+-----peer gone / parse error--------> CLOSED

(NEW is IDLE before the first request: the two differ only at shutdown.)

Choices made here, each for a reason:

- Flow control in both directions. Reading pauses while the app has not
  consumed a buffered body chunk, and send() waits while the transport's write
  buffer is above its high-water mark, so neither a fast uploader nor a slow
  downloader makes the server hold a whole body in memory.
- Pipelining (RFC 9112 §9.3): requests are answered one at a time, in order. A
  complete response is held back while another request is already waiting in
  the input, and the held responses go out in one write: fewer system calls.
  Reading stays paused from the first read-ahead until the buffered requests
  are all served (not paused and resumed once per request: on a selector loop
  each of those is an epoll_ctl call), and at most one flush callback is
  pending per connection.
- The response head is written together with the first body chunk, so the
  common response (start, then one body) costs one ``transport.write``.
- Each request's app runs in its own asyncio Task. Driving the coroutine by
  hand (``coroutine.send(None)``) until it first waits would save about a
  microsecond per request, but code that calls ``asyncio.current_task()`` --
  anyio's cancel scopes, and so Starlette and FastAPI -- needs a real task
  from its first line on (Python 3.12's eager tasks give both).
- One deadline timer per connection, re-armed lazily: going idle only records
  a deadline, and the timer, when it fires, re-checks it. No timer is created
  or cancelled per request.
- App faults never take the server down: an exception (or a malformed
  message) before anything was written gives a 500 on a connection that stays
  usable; after the head went out, only closing can tell the client that the
  response is incomplete. An app that returns without answering gives a 500.
- Expect: 100-continue (RFC 9110 §10.1.1) is answered on the app's first
  receive(), never after the final response's head. A response sent before
  the body was read: the rest of the body is read and discarded to keep the
  connection, unless the client still waits for 100 Continue (then we close).
- A WebSocket upgrade request is served as plain HTTP (the app sees an ``http``
  scope and may answer it, e.g. 426); the Upgrade header is ignored, as
  RFC 9110 §7.8 allows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from minihttp import http11
from minihttp.asgi import ASGI_VERSION, HTTP_SPEC_VERSION, build_http_scope, scope_template
from minihttp.errors import RemoteProtocolError
from minihttp.request_cycle import BODY_HIGH_WATER, RequestCycle, access_logger
from minihttp.response import server_line

logger = logging.getLogger("minihttp.error")

# Held pipelined responses are written out once there are this many of them.
MAX_HELD_RESPONSES = 32

NEW, IDLE, BUSY, CLOSED = "NEW", "IDLE", "BUSY", "CLOSED"
WAITING_FOR_REQUEST = (NEW, IDLE)
# At shutdown a connection that has not sent its first request yet gets this
# long for it: a request sent right after connecting is at most a round trip away.
NEW_CONNECTION_GRACE = 1.0
NO_BYTES, BYTES_SEEN, HEAD_TIMER_SET = 0, 1, 2

class ServerState:
    """What every connection of one server process shares."""

    __slots__ = (
        "app", "config", "loop", "connections", "requests_in_flight", "lifespan_state",
        "scope_template", "shutting_down", "cycle_class", "limits", "server_header",
        "server_line",
        "last_address", "access_log", "limit_concurrency",
    )

    def __init__(self, app: Callable, config: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.config = config
        self.loop = loop
        self.connections: set[HTTPConnection] = set()
        self.requests_in_flight = 0
        self.lifespan_state: dict[str, Any] = {}
        # The fields every scope shares; its "asgi" dict is shared too: treat it as read-only.
        self.scope_template = scope_template(
            config.root_path, {"version": ASGI_VERSION, "spec_version": HTTP_SPEC_VERSION}
        )
        self.shutting_down = False
        self.cycle_class = RequestCycle
        self.limits = config.limits
        self.server_header = b"minihttp" if config.server_header else None
        # The Server field line, checked and built once (complete_response writes it as is).
        self.server_line = server_line(self.server_header) if self.server_header else None
        self.last_address: tuple[str, int] | None = None
        self.limit_concurrency = config.limit_concurrency
        # Read once: a logger's level is not expected to change while serving.
        self.access_log = config.access_log and access_logger.isEnabledFor(logging.INFO)

    def shared_address(self, sockname: Any) -> tuple[str, int] | None:
        """Our listening address as a tuple that every connection shares (less memory)."""
        address = address_pair(sockname)
        if address != self.last_address:
            self.last_address = address
        return self.last_address

    def over_capacity(self) -> bool:
        limit = self.limit_concurrency
        return limit is not None and (
            self.requests_in_flight >= limit or len(self.connections) > limit
        )

    def begin_shutdown(self) -> None:
        """Stop keeping connections alive; close the ones that are idle now.

        A connection in the middle of receiving a request head is not idle: it
        gets its answer (with Connection: close), bounded by the head timeout.
        A new connection that has sent nothing yet gets NEW_CONNECTION_GRACE for
        its first request, which was probably sent already; an idle keep-alive
        connection is closed at once (clients retry on those, RFC 9112 §9.3.1).
        """
        self.shutting_down = True
        for connection in list(self.connections):
            if connection.head_progress != NO_BYTES:
                continue
            if connection.state == IDLE:
                connection.close()
            elif connection.state == NEW:
                connection.set_deadline(NEW_CONNECTION_GRACE)


class HTTPConnection(asyncio.Protocol):
    """One client connection: reads, parses, dispatches, keeps alive or closes."""

    __slots__ = (
        "server", "state", "transport", "parser", "cycle", "client", "server_address",
        "held_responses", "pipelined_head", "reading_paused", "writable", "drain_waiter",
        "deadline", "timer", "head_progress", "dispatching", "flush_scheduled",
    )

    def __init__(self, server: ServerState) -> None:
        self.server = server
        self.state = NEW
        self.transport: Any = None
        self.parser = http11.RequestParser(server.limits)
        self.cycle: RequestCycle | None = None
        self.client: tuple[str, int] | None = None
        self.server_address: tuple[str, int | None] | None = None
        self.held_responses: list[bytes] | None = None  # complete responses not yet written
        self.pipelined_head: Any = None  # a RequestHead (or parse error) read ahead
        self.reading_paused = False
        self.writable = True
        self.drain_waiter: asyncio.Future | None = None
        self.deadline: float | None = None
        self.timer: asyncio.TimerHandle | None = None
        # Progress of the next request head: NO_BYTES, then BYTES_SEEN, then
        # HEAD_TIMER_SET once a partial head waits for more (its deadline is
        # set once, so dribbling a byte at a time does not extend it).
        self.head_progress = NO_BYTES
        self.dispatching = False
        self.flush_scheduled = False  # a flush_after_next_app_step callback is pending

    # -- the transport's callbacks (asyncio.Protocol) -------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.client = address_pair(transport.get_extra_info("peername"))
        self.server_address = self.server.shared_address(transport.get_extra_info("sockname"))
        self.server.connections.add(self)
        self.set_deadline(self.server.config.timeout_request_head)

    def data_received(self, data: bytes) -> None:
        self.parser.feed(data)
        if self.state in WAITING_FOR_REQUEST:
            if self.head_progress == NO_BYTES:
                self.head_progress = BYTES_SEEN
            self.handle_events()
        elif self.state == BUSY and self.cycle is not None and not self.cycle.request_complete:
            self.handle_events()
        elif self.state == BUSY:
            self.read_ahead()

    def eof_received(self) -> bool | None:
        # The peer shut down its sending side (a half-close). A request that was
        # read whole still gets its answer, then we close; anything else ends here.
        cycle = self.cycle
        if self.state == BUSY and cycle is not None and cycle.request_complete:
            cycle.peer_done_sending = True
            return True
        return None  # asyncio closes the transport, connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = CLOSED
        self.server.connections.discard(self)
        self.deadline = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.wake()
        if self.drain_waiter is not None and not self.drain_waiter.done():
            self.drain_waiter.set_result(None)
        self.transport = None  # let the transport go; the cycle may outlive us

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True
        if self.drain_waiter is not None and not self.drain_waiter.done():
            self.drain_waiter.set_result(None)

    # -- the dispatch loop: one branch per parser event --------------------------------

    def handle_events(self) -> None:
        """Parse and dispatch everything buffered; write what it produced in one go.

        The app starts once its request's events so far are dispatched (at
        EndOfMessage, or when the input runs out mid-body), so a request that
        arrived whole is seen whole by its first receive(). Responses completed
        during this pass are held and written together at the end of it.
        """
        parser = self.parser
        self.dispatching = True
        try:
            while self.state != CLOSED:
                try:
                    event = parser.next_event()
                except RemoteProtocolError as error:
                    self.reject(error)
                    return
                if event is http11.NEED_DATA:
                    self.input_exhausted()
                    return
                event_type = type(event)
                if event_type is http11.RequestHead:
                    self.begin_request(event)
                elif event_type is http11.BodyData:
                    self.cycle.body_arrived(event.data)  # type: ignore[union-attr]
                elif event_type is http11.EndOfMessage:
                    if not self.request_ended():
                        return
                elif event is http11.CONNECTION_CLOSED:
                    self.close()
                    return
        finally:
            self.dispatching = False
            if self.held_responses is not None:
                cycle = self.cycle
                if cycle is None or cycle.app_done:
                    self.flush_held_responses()
                elif not self.flush_scheduled:  # a pipelined request's app runs next:
                    self.flush_scheduled = True  # let it add its response (one callback
                    self.server.loop.call_soon(self.flush_after_next_app_step)  # at a time)

    def input_exhausted(self) -> None:
        cycle = self.cycle
        if self.reading_paused and (cycle is None or cycle.body_buffered <= BODY_HIGH_WATER):
            # Paused for pipelined requests and all of them are served, or the last
            # one's body is still to come: read again (unless the app lags behind
            # on a large body, which its receive() will resume).
            self.resume_reading()
        if cycle is not None and not cycle.app_started:
            self.start_app(cycle)  # a body still arriving: the app may stream it
        elif self.state in WAITING_FOR_REQUEST and self.head_progress == BYTES_SEEN:
            self.head_progress = HEAD_TIMER_SET
            self.set_deadline(self.server.config.timeout_request_head)

    def request_ended(self) -> bool:
        """EndOfMessage: True if dispatching may go on to a pipelined request."""
        cycle = self.cycle
        cycle.request_complete = True  # type: ignore[union-attr]
        if cycle.waiter is not None:  # type: ignore[union-attr]
            cycle.wake()  # type: ignore[union-attr]
        if not cycle.app_started:  # type: ignore[union-attr]
            self.start_app(cycle)  # type: ignore[arg-type]
        if cycle.app_done:  # type: ignore[union-attr]
            self.after_app(cycle)  # type: ignore[arg-type]
            return True
        if self.parser.buffered_bytes:
            self.read_ahead()
        return False

    def read_ahead(self) -> None:
        """While a response is in progress, peek for a pipelined request head.

        Its presence tells send() to hold the finished response back and write
        it with the next one. Reading pauses meanwhile: one request at a time.
        """
        if self.pipelined_head is None and self.parser.buffered_bytes:
            try:
                event = self.parser.next_event()
            except RemoteProtocolError as error:
                event = error
            if event is not http11.NEED_DATA:
                self.pipelined_head = event
        if self.pipelined_head is not None:
            self.pause_reading()

    def begin_request(self, head: Any) -> None:
        server = self.server
        self.state = BUSY
        self.deadline = None
        self.head_progress = NO_BYTES
        if server.limit_concurrency is not None and server.over_capacity():
            self.write(http11.simple_response(503, "Service Unavailable: try again later"))
            self.close()
            return
        try:
            scope = build_http_scope(
                head, self.client, self.server_address, server.scope_template,
                server.lifespan_state,
            )
        except ValueError as error:
            if head.method == b"CONNECT":
                # Well-formed, but a request for a tunnel (RFC 9110 §9.3.6), which only a
                # proxy serves and ASGI cannot express: "not implemented" (§15.6.2).
                self.reject(RemoteProtocolError(
                    501, "CONNECT is not implemented: minihttp is an origin server, not a "
                    "proxy, so it opens no tunnels"
                ))
            else:
                self.reject(RemoteProtocolError(400, str(error)))
            return
        self.cycle = server.cycle_class(self, head, scope)

    def start_app(self, cycle: RequestCycle) -> None:
        cycle.app_started = True
        self.server.requests_in_flight += 1
        self.server.loop.create_task(cycle.run_app())

    def app_finished(self, cycle: RequestCycle) -> None:
        """The app returned (or failed); called from its task."""
        self.server.requests_in_flight -= 1
        if not self.dispatching:
            self.after_app(cycle)

    def after_app(self, cycle: RequestCycle) -> None:
        """Go on once both the app is done and its request has been read."""
        if self.state == CLOSED:
            self.cycle = None
        elif not cycle.keep_alive:
            self.close()
        elif cycle.request_complete:
            self.finish_cycle()
            if not self.dispatching and (self.cycle is not None or self.parser.buffered_bytes):
                self.handle_events()  # a pipelined request is waiting (nothing else can be)
        elif cycle.continue_pending:
            self.close()  # the client waits for 100 Continue before sending the body
        else:
            self.resume_reading()  # read and discard the rest of the unread body
            if not self.dispatching:
                self.handle_events()

    def finish_cycle(self) -> None:
        self.cycle = None
        if self.server.shutting_down:
            self.close()
            return
        self.state = IDLE
        self.set_deadline(self.server.config.timeout_keep_alive)
        held = self.pipelined_head
        if held is not None:
            self.pipelined_head = None
            if isinstance(held, RemoteProtocolError):
                self.reject(held)
                return
            if held is http11.CONNECTION_CLOSED:
                self.close()
                return
            self.begin_request(held)
            # Reading stays paused: the held request's own bytes (and perhaps more
            # pipelined requests) are buffered already. Resuming only to pause again
            # at the next read-ahead would cost two epoll_ctl calls per request;
            # input_exhausted() resumes once the buffer runs dry.
            return
        if self.reading_paused:
            self.resume_reading()

    # -- writing, closing, timing out ------------------------------------------------

    def write(self, data: bytes) -> None:
        held = self.held_responses
        if held is not None:  # responses held back go first, in the same write
            held.append(data)
            data = b"".join(held)
            self.held_responses = None
        if self.transport is not None:
            self.transport.write(data)

    def write_final(self, data: bytes) -> None:
        """Write a complete response, or hold it while more responses may follow soon."""
        if self.dispatching or self.pipelined_head is not None:
            held = self.held_responses
            if held is None:
                self.held_responses = [data]
                return
            if len(held) < MAX_HELD_RESPONSES:
                held.append(data)
                return
        self.write(data)

    def flush_after_next_app_step(self) -> None:
        """Flush held responses once the current app has run (and perhaps answered)."""
        cycle = self.cycle
        if cycle is not None and not cycle.app_entered and self.held_responses is not None:
            self.server.loop.call_soon(self.flush_after_next_app_step)
            return
        self.flush_scheduled = False
        self.flush_held_responses()

    def flush_held_responses(self) -> None:
        held = self.held_responses
        if held is not None:
            self.held_responses = None
            if self.transport is not None:
                self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its low-water mark."""
        if self.writable or self.state == CLOSED:
            return
        if self.drain_waiter is None or self.drain_waiter.done():
            self.drain_waiter = self.server.loop.create_future()
        await self.drain_waiter

    def resume_reading(self) -> None:
        if self.reading_paused and self.state != CLOSED and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()

    def pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def reject(self, error: RemoteProtocolError) -> None:
        """Answer a request the parser refused, then close (RFC 9112 §2.2)."""
        logger.debug("refused a request from %s: %s", self.client, error.reason)
        self.write(http11.simple_response(error.status_code, error.reason))
        self.close()

    def close(self) -> None:
        if self.state != CLOSED and self.transport is not None:
            self.flush_held_responses()
            self.transport.close()
        self.state = CLOSED

    def set_deadline(self, seconds: float) -> None:
        loop = self.server.loop
        deadline = self.deadline = loop.time() + seconds
        timer = self.timer
        if timer is not None and timer.when() > deadline:
            timer.cancel()  # set for a later deadline (a new connection's head timeout)
            timer = None
        if timer is None:
            self.timer = loop.call_at(deadline, self.deadline_reached)

    def deadline_reached(self) -> None:
        self.timer = None
        if self.deadline is None or self.state not in WAITING_FOR_REQUEST:
            return  # busy since then: the timer is re-armed when we go idle again
        if self.server.loop.time() < self.deadline:
            self.timer = self.server.loop.call_at(self.deadline, self.deadline_reached)
        elif self.head_progress != NO_BYTES:  # a head began but never completed: slow loris
            self.write(http11.simple_response(408, "Request Timeout: the request head was too slow"))
            self.close()
        else:
            self.close()  # an idle keep-alive connection; closing silently is expected


def address_pair(address: Any) -> tuple[str, int] | None:
    """(host, port) of a TCP address; None for a Unix socket's '' or path."""
    if isinstance(address, tuple) and len(address) >= 2:
        return (str(address[0]), int(address[1]))
    return None
