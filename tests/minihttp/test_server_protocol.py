"""minihttp.server's connection object driven directly: a fake transport and a fake clock.

The socket tests (test_server.py) show the server works; these pin down the
properties that a socket cannot show: how many writes a response costs, that
pipelined responses share writes, when reading is paused and resumed, and how
the timers behave, on a clock the test moves by hand (no sleeping). The app
still runs as a task on a real loop of each kind.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from minihttp.config import Config
from minihttp.server import IDLE, NEW_CONNECTION_GRACE, HTTPConnection, ServerState


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.reading = True
        self.pauses = 0

    def write(self, data: bytes) -> None:
        assert not self.closed, "write after close"
        self.writes.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        self.reading = True

    def close(self) -> None:
        self.closed = True

    @property
    def output(self) -> bytes:
        return b"".join(self.writes)


class FakeTimer:
    def __init__(self, when: float, callback: Any) -> None:
        self.at = when
        self.callback = callback
        self.cancelled = False

    def when(self) -> float:
        return self.at

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """The loop as the server sees it, with time moved by the test."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.now = 1000.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Any) -> FakeTimer:
        timer = FakeTimer(when, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for timer in sorted(self.timers, key=FakeTimer.when):
            if timer.at <= self.now and not timer.cancelled:
                self.timers.remove(timer)
                timer.callback()

    def create_task(self, coroutine: Any) -> asyncio.Task:
        return self.loop.create_task(coroutine)

    def create_future(self) -> asyncio.Future:
        return self.loop.create_future()

    def call_soon(self, callback: Any, *arguments: Any) -> Any:
        return self.loop.call_soon(callback, *arguments)


async def hello(scope, receive, send):
    body = b"hello " + scope["path"].encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


def make_connection(app: Any = hello, **options: Any):
    clock = FakeClock(asyncio.get_running_loop())
    options.setdefault("access_log", False)
    state = ServerState(app, Config(app=app, **options), clock)  # type: ignore[arg-type]
    connection = HTTPConnection(state)
    transport = FakeTransport()
    connection.connection_made(transport)
    return connection, transport, clock


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


GET = b"GET /%s HTTP/1.1\r\nHost: a\r\n\r\n"


# -- writes ---------------------------------------------------------------------------


def test_a_response_head_and_body_go_out_in_one_write(run_async):
    async def scenario():
        connection, transport, _ = make_connection()
        connection.data_received(GET % b"one")
        await settle()
        return transport.writes

    writes = run_async(scenario())
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"hello /one")


def test_pipelined_responses_share_writes_and_keep_their_order(run_async):
    async def scenario():
        connection, transport, _ = make_connection()
        connection.data_received(b"".join(GET % b"%d" % index for index in range(8)))
        await settle()
        return transport.writes

    writes = run_async(scenario())
    output = b"".join(writes)
    positions = [output.index(b"hello /%d" % index) for index in range(8)]
    assert positions == sorted(positions)
    assert output.count(b"HTTP/1.1 200 OK") == 8
    assert len(writes) <= 2  # all answered in one loop turn: written together


def test_reading_pauses_while_a_pipelined_request_waits_and_resumes_after(run_async):
    release = asyncio.Event

    async def scenario():
        gate = release()

        async def slow(scope, receive, send):
            if scope["path"] == "/first":
                await gate.wait()
            await hello(scope, receive, send)

        connection, transport, _ = make_connection(slow)
        connection.data_received(GET % b"first" + GET % b"second")
        await settle()
        paused_while_busy = not transport.reading
        gate.set()
        await settle()
        return paused_while_busy, transport.reading, transport.output

    paused_while_busy, reading_after, output = run_async(scenario())
    assert paused_while_busy and reading_after
    assert output.index(b"hello /first") < output.index(b"hello /second")


def test_reading_pauses_when_the_app_leaves_body_chunks_unread(run_async):
    async def scenario():
        gate = asyncio.Event()

        async def lazy_reader(scope, receive, send):
            await gate.wait()
            size = 0
            while True:
                message = await receive()
                size += len(message["body"])
                if not message["more_body"]:
                    break
            await hello(scope, receive, send)

        connection, transport, _ = make_connection(lazy_reader)
        connection.data_received(b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n")
        for _ in range(3):
            connection.data_received(b"x" * 100000)
        await settle()
        paused = not transport.reading
        gate.set()
        await settle()
        return paused, transport.reading, transport.output

    paused, reading_after, output = run_async(scenario())
    assert paused
    assert reading_after
    assert output.endswith(b"hello /up")


# -- timers on a fake clock --------------------------------------------------------------


def test_an_idle_connection_closes_when_the_keep_alive_timeout_passes(run_async):
    async def scenario():
        connection, transport, clock = make_connection(timeout_keep_alive=5.0)
        connection.data_received(GET % b"x")
        await settle()
        clock.advance(4.9)
        open_before = not transport.closed
        clock.advance(0.2)
        return open_before, transport.closed, transport.output

    open_before, closed_after, output = run_async(scenario())
    assert open_before and closed_after
    assert b"408" not in output  # an idle keep-alive connection closes silently


def test_a_slow_request_head_gets_408_when_the_head_timeout_passes(run_async):
    async def scenario():
        connection, transport, clock = make_connection(timeout_request_head=10.0)
        connection.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n")
        clock.advance(9.0)
        connection.data_received(b"X-Still: coming\r\n")  # dribbling bytes does not extend it
        open_before = not transport.closed
        clock.advance(1.5)
        return open_before, transport.closed, transport.output

    open_before, closed_after, output = run_async(scenario())
    assert open_before and closed_after
    assert output.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_never_sends_anything_is_closed_silently(run_async):
    async def scenario():
        connection, transport, clock = make_connection(timeout_request_head=10.0)
        clock.advance(10.5)
        return transport.closed, transport.output

    closed, output = run_async(scenario())
    assert closed and output == b""


def test_many_keep_alive_requests_create_no_timer_each(run_async):
    async def scenario():
        connection, transport, clock = make_connection()
        for index in range(20):
            connection.data_received(GET % b"%d" % index)
            await settle()
            clock.advance(0.01)
        return len(clock.timers), connection.state, transport.output.count(b"200 OK")

    timers, state, answered = run_async(scenario())
    assert answered == 20
    assert state == IDLE
    assert timers <= 2  # the head timer of the new connection, then one re-armed lazily


def test_a_busy_connection_is_not_timed_out(run_async):
    async def scenario():
        gate = asyncio.Event()

        async def slow(scope, receive, send):
            await gate.wait()
            await hello(scope, receive, send)

        connection, transport, clock = make_connection(slow, timeout_keep_alive=1.0)
        connection.data_received(GET % b"slow")
        await settle()
        clock.advance(60.0)
        still_open = not transport.closed
        gate.set()
        await settle()
        return still_open, transport.output

    still_open, output = run_async(scenario())
    assert still_open
    assert output.endswith(b"hello /slow")


# -- shutdown ----------------------------------------------------------------------------


def test_begin_shutdown_closes_idle_connections_and_ends_busy_ones_after_their_response(
    run_async,
):
    async def scenario():
        gate = asyncio.Event()

        async def slow(scope, receive, send):
            if scope["path"] == "/slow":
                await gate.wait()
            await hello(scope, receive, send)

        idle, idle_transport, _ = make_connection(slow)
        busy, busy_transport, _ = make_connection(slow)
        busy.server = idle.server  # one server, two connections
        idle.server.connections.add(busy)
        idle.data_received(GET % b"quick")
        busy.data_received(GET % b"slow")
        await settle()
        idle.server.begin_shutdown()
        gate.set()
        await settle()
        return idle_transport.closed, busy_transport.closed, busy_transport.output

    idle_closed, busy_closed, busy_output = run_async(scenario())
    assert idle_closed and busy_closed
    assert b"connection: close" in busy_output.lower() and busy_output.endswith(b"hello /slow")


@pytest.mark.parametrize("method", [b"GET", b"DELETE", b"OPTIONS"])
def test_a_request_without_a_body_reads_an_empty_final_body(run_async, method):
    async def scenario():
        received: list[dict[str, Any]] = []

        async def app(scope, receive, send):
            received.append(await receive())
            await hello(scope, receive, send)

        connection, transport, _ = make_connection(app)
        connection.data_received(method + b" /x HTTP/1.1\r\nHost: a\r\n\r\n")
        await settle()
        return received

    assert run_async(scenario()) == [{"type": "http.request", "body": b"", "more_body": False}]


# -- any split of the input gives the same answers (property) ------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIPELINE = (
    b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    b"GET /d?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"
)


async def echo(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = scope["method"].encode() + b" " + scope["path"].encode() + b" " + body
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(payload))]})
    await send({"type": "http.response.body", "body": payload})


def answers(output: bytes) -> list[bytes]:
    return [part.split(b"\r\n\r\n", 1)[1][:40] for part in output.split(b"HTTP/1.1 ")[1:]]


# run_async only picks the loop kind and holds no state, so sharing it across examples is fine.
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(PIPELINE) - 1), max_size=12))
def test_any_split_of_a_pipelined_stream_gets_the_same_answers_in_order(run_async, cuts):
    async def scenario():
        connection, transport, _ = make_connection(echo)
        points = [0, *sorted(set(cuts)), len(PIPELINE)]
        for start, end in zip(points, points[1:], strict=False):
            connection.data_received(PIPELINE[start:end])
            await settle()
        await settle()
        return transport.output

    output = run_async(scenario())
    assert answers(output) == [b"GET /a ", b"POST /b hello", b"PUT /c abcde", b"GET /d "]


# -- ASGI HTTP spec: from a request head to the scope (table) ----------------------------------

from minihttp.asgi import build_http_scope, scope_template  # noqa: E402
from minihttp.http11 import RequestHead  # noqa: E402

SCOPE_CASES = [
    # target, root_path, expected path, raw_path, query_string
    (b"/", "", "/", b"/", b""),
    (b"/a%20b?x=1&y=2", "", "/a b", b"/a%20b", b"x=1&y=2"),
    (b"/caf%C3%A9", "", "/café", b"/caf%C3%A9", b""),
    (b"/bad%FFbyte", "", "/bad\ufffdbyte", b"/bad%FFbyte", b""),
    (b"/slash%2Fkept", "", "/slash/kept", b"/slash%2Fkept", b""),
    (b"/q?", "", "/q", b"/q", b""),
    (b"/a?b?c", "", "/a", b"/a", b"b?c"),
    (b"http://example.com/over/there?name=ferret", "", "/over/there", b"/over/there",
     b"name=ferret"),
    (b"http://example.com", "", "/", b"/", b""),
    (b"*", "", "*", b"*", b""),
    (b"/items/1", "/api", "/api/items/1", b"/api/items/1", b""),
]


@pytest.mark.parametrize(("target", "root_path", "path", "raw_path", "query"), SCOPE_CASES)
def test_the_scope_splits_and_decodes_the_target(target, root_path, path, raw_path, query):
    head = RequestHead(b"GET", target, b"1.1", [(b"host", b"x")])
    template = scope_template(root_path, {"version": "3.0", "spec_version": "2.3"})
    scope = build_http_scope(head, ("1.2.3.4", 5), ("127.0.0.1", 80), template, {"k": 1})
    assert (scope["path"], scope["raw_path"], scope["query_string"]) == (path, raw_path, query)
    assert scope["root_path"] == root_path
    assert scope["client"] == ("1.2.3.4", 5) and scope["server"] == ("127.0.0.1", 80)


def test_each_scope_gets_its_own_copy_of_the_lifespan_state():
    state = {"pool": "shared object"}
    head = RequestHead(b"GET", b"/", b"1.1", [])
    template = scope_template("", {"version": "3.0"})
    first = build_http_scope(head, None, None, template, state)
    first["state"]["added"] = True
    first["path_params"] = {"id": 1}  # frameworks add keys to the scope they were given
    second = build_http_scope(head, None, None, template, state)
    assert second["state"] == {"pool": "shared object"} and state == second["state"]
    assert "path_params" not in second and "path_params" not in template


def test_a_connect_authority_target_has_no_path_and_is_refused_with_a_reason():
    head = RequestHead(b"CONNECT", b"example.com:443", b"1.1", [(b"host", b"example.com:443")])
    with pytest.raises(ValueError, match="is not a path"):
        build_http_scope(head, None, None, scope_template("", {"version": "3.0"}), {})


def test_two_tasks_waiting_in_receive_are_both_woken_by_a_disconnect(run_async):
    async def scenario():
        seen: list[str] = []

        async def app(scope, receive, send):
            async def listen():
                seen.append((await receive())["type"])

            first = asyncio.ensure_future(listen())
            second = asyncio.ensure_future(listen())
            await asyncio.wait({first, second})

        connection, transport, _ = make_connection(app)
        connection.data_received(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n")
        await settle()
        connection.connection_lost(None)
        await settle()
        return seen

    assert run_async(scenario()) == ["http.disconnect", "http.disconnect"]


def test_at_shutdown_a_new_connection_gets_a_grace_period_for_its_first_request(run_async):
    async def scenario():
        first, first_transport, clock = make_connection()
        second = HTTPConnection(first.server)
        second_transport = FakeTransport()
        second.connection_made(second_transport)
        first.server.begin_shutdown()
        open_at_once = not first_transport.closed and not second_transport.closed
        first.data_received(GET % b"in-flight")  # its request was already on the way
        await settle()
        clock.advance(NEW_CONNECTION_GRACE + 0.1)  # the other never sends anything
        return open_at_once, first_transport.output, first_transport.closed, second_transport

    open_at_once, output, first_closed, second_transport = run_async(scenario())
    assert open_at_once
    assert output.endswith(b"hello /in-flight") and b"connection: close" in output.lower()
    assert first_closed
    assert second_transport.closed and second_transport.output == b""


# -- h11 as the oracle: the response stream reads back as the right responses ----------------

import h11  # noqa: E402

ORACLE_REQUESTS = {
    "get": (b"GET /get HTTP/1.1\r\nHost: x\r\n\r\n", 200, b"GET /get "),
    "head": (b"HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n", 200, b""),
    "post": (b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 200,
             b"POST /post abc"),
    "stream": (b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 200, b"one;two;"),
    "empty": (b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n", 204, b""),
    "raise": (b"GET /raise HTTP/1.1\r\nHost: x\r\n\r\n", 500, None),
}


async def oracle_app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/raise":
        raise RuntimeError("deliberate")
    if path == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one;", b"two;"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await hello_like(send, scope["method"].encode() + b" " + path.encode() + b" " + body)


async def hello_like(send, payload):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(payload))]})
    await send({"type": "http.response.body", "body": payload})


def read_with_h11(output: bytes, methods: list[bytes]) -> list[tuple[int, bytes]]:
    client = h11.Connection(h11.CLIENT)
    responses = []
    client.receive_data(output)
    for method in methods:
        # h11 needs to know each request to frame its response (HEAD has no body)
        client.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
        client.send(h11.EndOfMessage())
        status, body = None, b""
        while True:
            event = client.next_event()
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif event is h11.NEED_DATA:
                raise AssertionError(f"response {len(responses)} incomplete in {output!r}")
        responses.append((status, body))
        client.start_next_cycle()
    return responses


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(sorted(ORACLE_REQUESTS)), min_size=1, max_size=8))
def test_h11_reads_the_pipelined_answers_back_as_the_right_responses(run_async, kinds):
    async def scenario():
        connection, transport, _ = make_connection(oracle_app)
        connection.data_received(b"".join(ORACLE_REQUESTS[kind][0] for kind in kinds))
        for _ in range(len(kinds) + 2):
            await settle()
        return transport.output

    output = run_async(scenario())
    methods = [ORACLE_REQUESTS[kind][0].split(b" ")[0] for kind in kinds]
    responses = read_with_h11(output, methods)
    expected = [(ORACLE_REQUESTS[kind][1], ORACLE_REQUESTS[kind][2]) for kind in kinds]
    for (status, body), (expected_status, expected_body) in zip(responses, expected, strict=True):
        assert status == expected_status
        if expected_body is not None:
            assert body == expected_body
