"""minihttp.server over real sockets, on every loop (asyncio, uvloop, minihttp's own).

Each test starts a real server on 127.0.0.1 (port 0) in a thread, with the
event loop the `loop_factory` fixture names, and talks to it with a real
client: httpx where a normal client is the point, a raw socket where the test
needs exact bytes (pipelining, partial and malformed input, disconnects).
Timeouts are configured short and only ever bound how long we wait for a
behaviour; no test asserts how long anything took.

The helpers here (`ServerThread`, `raw_exchange`, ...) are shared by the other
server test files.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from minihttp.config import Config, ConfigError, load_app
from minihttp.main import EXIT_OK, EXIT_STARTUP_FAILED, Server, bind_socket
from minihttp.proxy_headers import ProxyHeadersMiddleware
from minihttp.server import NO_BYTES

WAIT = 10.0  # the longest any test waits for a behaviour; never a measured duration


class ServerThread:
    """A minihttp server for one test, on its own loop in a background thread."""

    def __init__(self, app: Any, loop_factory: Any, **options: Any) -> None:
        options.setdefault("access_log", False)
        self.config = Config(app=app, port=0, **options)
        self.loop_factory = loop_factory
        self.started = threading.Event()
        self.start_status: int | None = None
        self.exit_status: int | None = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.server: Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None

    def run(self) -> None:
        with asyncio.Runner(loop_factory=self.loop_factory) as runner:
            runner.run(self.main())

    async def main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.socket = bind_socket(self.config)
        self.port = self.socket.getsockname()[1]
        self.server = Server(self.config)
        try:
            self.start_status = await self.server.start(self.socket)
        finally:
            self.started.set()
        if self.start_status == EXIT_OK:
            await self.stop_event.wait()
            self.exit_status = await self.server.stop()
        self.socket.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        if not self.started.wait(WAIT):
            raise RuntimeError("the test server did not start")
        return self

    def request_stop(self) -> None:
        assert self.loop is not None and self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)

    def __exit__(self, *exc_info: Any) -> None:
        if self.start_status == EXIT_OK:
            with contextlib.suppress(RuntimeError):
                self.request_stop()
        self.thread.join(WAIT)

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        return connection


def wait_until(condition: Any) -> None:
    """Poll a condition another thread makes true; fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never became true")
        time.sleep(0.005)


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        try:
            data = connection.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def read_response(connection: socket.socket, buffer: bytearray | None = None) -> bytes:
    """One whole response with Content-Length from the socket (leftovers stay in buffer)."""
    buffer = buffer if buffer is not None else bytearray()
    while b"\r\n\r\n" not in buffer:
        data = connection.recv(65536)
        if not data:
            raise ConnectionError(f"closed before a full head arrived: {bytes(buffer)!r}")
        buffer += data
    head_end = buffer.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(buffer) < head_end + length:
        data = connection.recv(65536)
        if not data:
            break
        buffer += data
    response = bytes(buffer[: head_end + length])
    del buffer[: head_end + length]
    return response


# -- apps used by the tests ------------------------------------------------------------


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        assert message["type"] == "http.request", message
        body += message["body"]
        if not message["more_body"]:
            return body


async def respond(send: Any, status: int, body: bytes, content_type: bytes = b"text/plain") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


def scope_as_json(scope: dict[str, Any]) -> bytes:
    shown = {
        key: value.decode("latin-1") if isinstance(value, bytes) else value
        for key, value in scope.items()
        if key not in ("headers", "state")
    }
    shown["headers"] = [[name.decode(), value.decode()] for name, value in scope["headers"]]
    shown["state"] = dict(scope.get("state", {}))
    return json.dumps(shown).encode()


async def echo_scope_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await respond(send, 200, scope_as_json(scope), b"application/json")


async def echo_body_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    await respond(send, 200, scope["method"].encode() + b" " + scope["path"].encode() + b" " + body)


# -- ASGI HTTP spec: the connection scope -------------------------------------------------


def test_the_scope_describes_the_request(loop_factory):
    with ServerThread(echo_scope_app, loop_factory) as server:
        response = httpx.get(server.url + "/caf%C3%A9/a%2Fb?x=1&y=%20", headers={"X-Thing": "1"})
    scope = response.json()
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.3"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/café/a/b"
    assert scope["raw_path"] == "/caf%C3%A9/a%2Fb"
    assert scope["query_string"] == "x=1&y=%20"
    assert scope["root_path"] == ""
    assert ["x-thing", "1"] in scope["headers"]
    assert ["host", f"127.0.0.1:{server.port}"] in scope["headers"]
    assert scope["client"][0] == "127.0.0.1" and isinstance(scope["client"][1], int)
    assert scope["server"] == ["127.0.0.1", server.port]


def test_root_path_is_reported_and_prefixed_to_path(loop_factory):
    with ServerThread(echo_scope_app, loop_factory, root_path="/api") as server:
        scope = httpx.get(server.url + "/items").json()
    assert scope["root_path"] == "/api"
    assert scope["path"] == "/api/items"
    assert scope["raw_path"] == "/api/items"


def test_an_absolute_form_target_gives_its_path(loop_factory):
    with ServerThread(echo_scope_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(
            b"GET http://example.com/some/where?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
        )
        response = read_response(connection)
    scope = json.loads(response.split(b"\r\n\r\n", 1)[1])
    assert scope["path"] == "/some/where"
    assert scope["query_string"] == "q=1"


def test_connect_is_answered_501_and_the_connection_closes(loop_factory):
    # RFC 9110 §9.3.6: CONNECT asks for a tunnel, which only a proxy opens; the request is
    # well-formed, so the answer is "not implemented" (§15.6.2), not 400, and the app is
    # never called (ASGI has no scope for a tunnel).
    with ServerThread(echo_scope_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        response = read_until_closed(connection)
    assert response.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    assert b"connection: close\r\n" in response.lower()
    assert b"not a proxy" in response


def test_http_1_0_requests_are_answered_and_closed(loop_factory):
    with ServerThread(echo_scope_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        response = read_until_closed(connection)
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(response.split(b"\r\n\r\n", 1)[1])["http_version"] == "1.0"


def test_a_websocket_upgrade_request_is_served_as_plain_http(loop_factory):
    with ServerThread(echo_scope_app, loop_factory) as server:
        response = httpx.get(
            server.url + "/ws",
            headers={"Upgrade": "websocket", "Connection": "Upgrade",
                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"},
        )
    assert response.status_code == 200
    assert response.json()["type"] == "http"


# -- ASGI HTTP spec: receive() ---------------------------------------------------------


def test_a_request_body_reaches_the_app(loop_factory):
    with ServerThread(echo_body_app, loop_factory) as server:
        response = httpx.post(server.url + "/echo", content=b"hello body")
    assert response.text == "POST /echo hello body"


def test_a_chunked_request_body_streams_in_several_messages(loop_factory):
    messages: list[tuple[int, bool]] = []
    received_one = threading.Semaphore(0)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        total = b""
        while True:
            message = await receive()
            messages.append((len(message["body"]), message["more_body"]))
            received_one.release()
            total += message["body"]
            if not message["more_body"]:
                break
        await respond(send, 200, total)

    def upload():
        for index in range(5):
            if index:
                received_one.acquire(timeout=WAIT)  # the app has read what we sent so far
            yield b"%d" % index * 1000

    with ServerThread(app, loop_factory) as server:
        response = httpx.post(server.url, content=upload())
    assert response.content == b"".join(b"%d" % index * 1000 for index in range(5))
    assert messages[-1][1] is False
    assert all(more for _, more in messages[:-1])
    assert len(messages) >= 2


def test_reading_pauses_while_the_app_leaves_the_body_unread(loop_factory):
    # The app waits before reading a 4 MB upload. With flow control the server
    # stops reading the socket after a bounded amount, so the first message
    # cannot hold the whole body.
    first_sizes: list[int] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await asyncio.sleep(0.3)
        first = await receive()
        first_sizes.append(len(first["body"]))
        rest = await read_body(receive) if first["more_body"] else b""
        await respond(send, 200, b"%d" % (len(first["body"]) + len(rest)))

    size = 4 * 1024 * 1024
    with ServerThread(app, loop_factory) as server:
        response = httpx.post(server.url, content=b"x" * size, timeout=WAIT)
    assert response.text == str(size)
    assert first_sizes[0] < size // 2


def test_receive_says_disconnect_when_the_client_goes_away_mid_request(loop_factory):
    events: list[dict[str, Any]] = []
    done = threading.Event()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while True:
            message = await receive()
            events.append(message)
            if message["type"] == "http.disconnect":
                done.set()
                return
            if not message["more_body"]:
                await respond(send, 200, b"whole body read")
                return

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789")
        time.sleep(0.1)
        connection.close()
        assert done.wait(WAIT)
        assert httpx.post(server.url, content=b"x").text == "whole body read"  # still serving
    assert {"type": "http.disconnect"} in events


def test_receive_after_the_response_says_disconnect(loop_factory):
    after: list[dict[str, Any]] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await read_body(receive)
        await respond(send, 200, b"ok")
        after.append(await receive())

    with ServerThread(app, loop_factory) as server:
        assert httpx.get(server.url).text == "ok"
    assert after == [{"type": "http.disconnect"}]


# -- RFC 9110 §10.1.1: Expect: 100-continue ------------------------------------------------


def test_100_continue_is_sent_when_the_app_first_reads_the_body(loop_factory):
    with ServerThread(echo_body_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(
            b"POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
        interim = connection.recv(1024)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        connection.sendall(b"hello")
        response = read_response(connection)
    assert response.startswith(b"HTTP/1.1 200 OK")
    assert response.endswith(b"POST /up hello")


def test_100_continue_is_not_sent_when_the_app_answers_without_reading(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] == "http":
            await respond(send, 413, b"too big")

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 99999\r\n\r\n"
        )
        response = read_until_closed(connection)
    assert response.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in response
    # The body never came, so the connection closes, and the response says so first.
    assert b"connection: close\r\n" in response.lower()


def test_100_continue_is_never_sent_after_the_final_response(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await respond(send, 200, b"answered first")
        await receive()  # returns http.disconnect once the client goes; must not send 100

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
        response = read_until_closed(connection)
    assert response.startswith(b"HTTP/1.1 200 OK") and response.endswith(b"answered first")
    assert b"100 Continue" not in response


# -- ASGI HTTP spec: send() -----------------------------------------------------------


def test_a_streamed_response_arrives_in_order(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for index in range(10):
            await send({"type": "http.response.body", "body": b"part%d;" % index, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    with ServerThread(app, loop_factory) as server, httpx.Client() as client:
        with client.stream("GET", server.url) as response:
            body = b"".join(response.iter_bytes())
            assert response.headers["transfer-encoding"] == "chunked"
    assert body == b"".join(b"part%d;" % index for index in range(10))


def test_send_waits_while_a_slow_client_is_not_reading(loop_factory):
    # 64 MB in 64 KB pieces to a client that reads nothing for a while: with
    # backpressure the app gets far less than the whole body out meanwhile.
    total = 64 * 1024 * 1024
    piece = b"x" * 65536
    progress = [0]

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        headers = [(b"content-length", b"%d" % total)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        while progress[0] < total:
            progress[0] += len(piece)
            await send({"type": "http.response.body", "body": piece,
                        "more_body": progress[0] < total})

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        connection.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        time.sleep(0.5)
        sent_while_stalled = progress[0]
        received = 0
        while received < total:
            data = connection.recv(1 << 20)
            assert data, "the server closed before the whole body arrived"
            received += len(data)
    assert sent_while_stalled < total // 2
    assert received >= total


def test_a_head_request_gets_headers_and_no_body(loop_factory):
    with ServerThread(echo_body_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n")
        buffer = bytearray()
        head = read_response_head_only(connection, buffer)
        second = read_response(connection, buffer)
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 8" in head.lower()
    assert second.endswith(b"GET /y ")


def read_response_head_only(connection: socket.socket, buffer: bytearray) -> bytes:
    while b"\r\n\r\n" not in buffer:
        buffer += connection.recv(65536)
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    del buffer[:end]
    return head


# -- app faults: the server never dies because of one request -------------------------------


def test_an_exception_before_the_response_gives_500_and_the_connection_stays_usable(
    loop_factory, caplog
):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/boom":
            raise ValueError("deliberate failure")
        await respond(send, 200, b"fine")

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        buffer = bytearray()
        connection.sendall(b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n")
        first = read_response(connection, buffer)
        connection.sendall(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
        second = read_response(connection, buffer)
    assert first.startswith(b"HTTP/1.1 500 Internal Server Error")
    assert second.startswith(b"HTTP/1.1 200 OK") and second.endswith(b"fine")
    assert "deliberate failure" in caplog.text or "ValueError" in caplog.text


def test_an_exception_after_the_response_started_closes_the_connection(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})
        raise RuntimeError("failed mid-response")

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        data = read_until_closed(connection)
        with httpx.Client() as client, pytest.raises(httpx.HTTPError):
            client.get(server.url)  # httpx sees the chunked body end early
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"half" in data and not data.endswith(b"0\r\n\r\n")


def test_an_app_that_returns_without_responding_gives_500(loop_factory, caplog):
    async def app(scope, receive, send):
        return None

    with ServerThread(app, loop_factory) as server:
        assert httpx.get(server.url).status_code == 500
    assert "without completing the response" in caplog.text


MALFORMED_MESSAGES = {
    "no type": [{"status": 200}],
    "status as text": [{"type": "http.response.start", "status": "200"}],
    "status out of range": [{"type": "http.response.start", "status": 99}],
    "body before start": [{"type": "http.response.body", "body": b"x"}],
    "text body": [{"type": "http.response.start", "status": 200},
                  {"type": "http.response.body", "body": "text"}],
    "header with a newline": [{"type": "http.response.start", "status": 200,
                               "headers": [(b"x-evil", b"a\r\nset-cookie: b")]},
                              {"type": "http.response.body", "body": b""}],
    "unknown type": [{"type": "http.response.nonsense"}],
}


@pytest.mark.parametrize("messages", MALFORMED_MESSAGES.values(), ids=MALFORMED_MESSAGES.keys())
def test_a_malformed_asgi_message_is_logged_and_answered_500(loop_factory, caplog, messages):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        for message in messages:
            await send(message)

    with ServerThread(app, loop_factory) as server:
        response = httpx.get(server.url)
    assert response.status_code == 500
    assert "ASGIMessageError" in caplog.text


def test_a_second_response_after_completion_is_refused(loop_factory):
    errors: list[str] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await respond(send, 200, b"first")
        try:
            await respond(send, 200, b"second")
        except RuntimeError as error:
            errors.append(str(error))

    with ServerThread(app, loop_factory) as server:
        assert httpx.get(server.url).text == "first"
    assert "COMPLETE" in errors[0] and "http.response.start" in errors[0]


# -- RFC 9112 §9: connections ----------------------------------------------------------


def test_keep_alive_serves_many_requests_on_one_connection(loop_factory):
    with ServerThread(echo_scope_app, loop_factory) as server, httpx.Client() as client:
        ports = {tuple(client.get(server.url + f"/{index}").json()["client"]) for index in range(5)}
    assert len(ports) == 1


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(loop_factory):
    with ServerThread(echo_body_app, loop_factory, timeout_keep_alive=0.2) as server:
        connection = server.connect()
        connection.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        response = read_response(connection)
        assert connection.recv(100) == b""  # waits (up to WAIT) for the server to close
    assert response.startswith(b"HTTP/1.1 200 OK")


def test_a_request_head_that_never_completes_gets_408(loop_factory):
    with ServerThread(echo_body_app, loop_factory, timeout_request_head=0.2) as server:
        connection = server.connect()
        connection.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        response = read_until_closed(connection)
        assert httpx.get(server.url).status_code == 200
    assert response.startswith(b"HTTP/1.1 408 ")


def test_pipelined_requests_are_answered_in_order(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if scope["path"] == "/slow":
            await asyncio.sleep(0.05)
        await respond(send, 200, scope["path"].encode() + body)

    requests = (
        b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        b"GET /three HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /four HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
        b"GET /five HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(requests)
        data = read_until_closed(connection)
    assert data.count(b"HTTP/1.1 200 OK") == 5
    markers = (b"/slow", b"/twoabc", b"/three", b"/fourxy", b"/five")
    positions = [data.index(b"\r\n\r\n" + marker) for marker in markers]
    assert positions == sorted(positions)


def test_a_client_that_half_closes_after_its_request_still_gets_the_answer(loop_factory):
    with ServerThread(echo_body_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"POST /half HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
        connection.shutdown(socket.SHUT_WR)
        response = read_until_closed(connection)
    assert response.startswith(b"HTTP/1.1 200 OK") and response.endswith(b"POST /half hi")


def test_a_request_sent_one_byte_at_a_time_is_served(loop_factory):
    with ServerThread(echo_body_app, loop_factory) as server:
        connection = server.connect()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in b"POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody":
            connection.sendall(bytes([byte]))
        response = read_response(connection)
    assert response.endswith(b"POST /slow body")


MALFORMED_REQUESTS = {
    "garbage request line": (b"HELLO\r\n\r\n", 400),
    "bad version": (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    "no host in 1.1": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "conflicting framing": (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    "header block too large": (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 70000 + b"\r\n\r\n", 431),
}


@pytest.mark.parametrize(
    ("request_bytes", "status"), MALFORMED_REQUESTS.values(), ids=MALFORMED_REQUESTS.keys()
)
def test_malformed_input_gets_the_right_4xx_and_others_are_still_served(
    loop_factory, request_bytes, status
):
    with ServerThread(echo_body_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(request_bytes)
        response = read_until_closed(connection)
        assert httpx.get(server.url + "/next").text == "GET /next "
    assert response.startswith(b"HTTP/1.1 %d " % status)


def test_the_parser_limits_are_passed_through_from_the_options(loop_factory):
    with ServerThread(echo_body_app, loop_factory, max_body_size=10, max_headers=12) as server:
        too_large = httpx.post(server.url, content=b"x" * 11)
        too_many = httpx.get(server.url, headers={f"x-{index}": "1" for index in range(15)})
        fine = httpx.post(server.url, content=b"x" * 10)
    assert too_large.status_code == 413
    assert too_many.status_code == 431
    assert fine.text == "POST / xxxxxxxxxx"


def test_a_client_that_disconnects_mid_response_does_not_disturb_others(loop_factory):
    finished = threading.Event()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/endless":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(2000):
                await send({"type": "http.response.body", "body": b"z" * 4096, "more_body": True})
                await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": b""})
            finished.set()
            return
        await respond(send, 200, b"other")

    with ServerThread(app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"GET /endless HTTP/1.1\r\nHost: a\r\n\r\n")
        assert connection.recv(1024).startswith(b"HTTP/1.1 200 OK")
        connection.close()
        assert finished.wait(WAIT)  # the app ran to its end; its sends did not raise
        assert httpx.get(server.url).text == "other"


def test_requests_beyond_the_concurrency_limit_get_503(loop_factory):
    release = threading.Event()
    started = threading.Event()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        started.set()
        while not release.is_set():
            await asyncio.sleep(0.01)
        await respond(send, 200, b"done")

    with ServerThread(app, loop_factory, limit_concurrency=1) as server:
        first = server.connect()
        first.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert started.wait(WAIT)
        second = server.connect()
        second.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        refused = read_until_closed(second)
        release.set()
        answered = read_response(first)
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert answered.endswith(b"done")


# -- graceful shutdown --------------------------------------------------------------------


def test_shutdown_lets_a_request_in_flight_finish_and_closes_idle_connections(loop_factory):
    started = threading.Event()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/slow":
            started.set()
            await asyncio.sleep(0.3)
        await respond(send, 200, b"finished " + scope["path"].encode())

    with ServerThread(app, loop_factory) as server:
        idle = server.connect()
        idle.sendall(b"GET /quick HTTP/1.1\r\nHost: a\r\n\r\n")
        read_response(idle)
        busy = server.connect()
        busy.sendall(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        assert started.wait(WAIT)
        server.request_stop()
        assert idle.recv(100) == b""  # the idle keep-alive connection is closed
        response = read_until_closed(busy)
        server.thread.join(WAIT)
        with pytest.raises(OSError):
            server.connect()  # no longer accepting
    assert response.startswith(b"HTTP/1.1 200 OK")
    assert b"connection: close" in response.lower()
    assert response.endswith(b"finished /slow")
    assert server.exit_status == EXIT_OK


def test_shutdown_answers_a_request_whose_head_was_arriving(loop_factory):
    with ServerThread(echo_body_app, loop_factory) as server:
        connection = server.connect()
        connection.sendall(b"GET /late HTTP/1.1\r\nHost: a\r\n")
        wait_until(lambda: any(
            c.head_progress != NO_BYTES for c in list(server.server.state.connections)))
        server.request_stop()
        wait_until(lambda: server.server.state.shutting_down)
        connection.sendall(b"\r\n")
        response = read_until_closed(connection)
    assert response.startswith(b"HTTP/1.1 200 OK")
    assert response.endswith(b"GET /late ")


# -- lifespan ----------------------------------------------------------------------------


def test_lifespan_startup_state_is_copied_into_every_request(loop_factory):
    events: list[str] = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                events.append(message["type"])
                if message["type"] == "lifespan.startup":
                    scope["state"]["greeting"] = "hi"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        scope["state"]["mutated"] = True  # must not leak into the next request
        await respond(send, 200, json.dumps(scope["state"]).encode())

    with ServerThread(app, loop_factory) as server, httpx.Client() as client:
        first = client.get(server.url).json()
        second = client.get(server.url).json()
    assert first == second == {"greeting": "hi", "mutated": True}
    assert events == ["lifespan.startup", "lifespan.shutdown"]


def test_a_failed_lifespan_startup_stops_the_server_with_a_clear_message(loop_factory, caplog):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "database unreachable"})

    with ServerThread(app, loop_factory) as server:
        assert server.start_status == EXIT_STARTUP_FAILED
    assert "database unreachable" in caplog.text


def test_an_exception_during_lifespan_startup_is_a_failure(loop_factory, caplog):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            raise RuntimeError("cannot open the pool")

    with ServerThread(app, loop_factory) as server:
        assert server.start_status == EXIT_STARTUP_FAILED
    assert "cannot open the pool" in caplog.text


def test_an_app_without_lifespan_support_is_served(loop_factory, caplog):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"unsupported scope type {scope['type']}")
        await respond(send, 200, b"plain")

    with caplog.at_level("INFO"), ServerThread(app, loop_factory) as server:
        assert httpx.get(server.url).text == "plain"
    assert "does not support the ASGI lifespan" in caplog.text


def test_lifespan_on_makes_missing_support_a_failure(loop_factory):
    async def app(scope, receive, send):
        raise ValueError("only http here")

    with ServerThread(app, loop_factory, lifespan="on") as server:
        assert server.start_status == EXIT_STARTUP_FAILED


# -- options -------------------------------------------------------------------------------


BAD_OPTIONS = {
    "port": ({"port": 70000}, "not a TCP port"),
    "loop": ({"loop": "tokio"}, "choose one of mini, asyncio, uvloop"),
    "workers": ({"workers": 0}, "workers must be"),
    "keep-alive": ({"timeout_keep_alive": -1}, "timeout_keep_alive must be"),
    "root path": ({"root_path": "api/"}, "must start with '/'"),
    "proxies": ({"forwarded_allow_ips": "not-an-ip"}, "not a list of addresses"),
    "reload object": ({"reload": True}, "import string"),
    "log level": ({"log_level": "loud"}, "unknown log level"),
    "parser limit": ({"max_headers": 0}, "max_headers must be a positive int"),
}


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_a_bad_option_is_refused_with_a_message_that_names_it(options, message):
    with pytest.raises(ConfigError, match=message):
        Config(app=echo_body_app, **options)


APP_STRINGS = {
    "no colon": ("examples.hello", "must be written as 'module:attribute'"),
    "missing module": ("no_such_module_here:app", "could not import module"),
    "missing attribute": ("examples.hello:nothing", "has no attribute 'nothing'"),
    "not callable": ("examples.hello:__doc__", "not an ASGI application"),
}


@pytest.mark.parametrize(("app", "message"), APP_STRINGS.values(), ids=APP_STRINGS.keys())
def test_an_app_string_that_cannot_be_served_says_why(app, message):
    with pytest.raises(ConfigError, match=message):
        load_app(Config(app=app))


def test_a_factory_is_called_to_make_the_app():
    assert load_app(Config(app=lambda: echo_body_app, factory=True)) is echo_body_app
    with pytest.raises(ConfigError, match="is not callable"):
        load_app(Config(app="examples.hello:__doc__", factory=True))


def test_an_app_string_that_does_not_import_says_why(loop_factory, caplog):
    with ServerThread("no_such_module_here:app", loop_factory) as server:
        assert server.start_status != EXIT_OK
    assert "could not import module 'no_such_module_here'" in caplog.text


# -- proxy headers ---------------------------------------------------------------------------


def test_forwarded_headers_from_a_trusted_proxy_set_client_and_scheme(loop_factory):
    headers = {"X-Forwarded-For": "203.0.113.7, 127.0.0.1", "X-Forwarded-Proto": "https"}
    with ServerThread(echo_scope_app, loop_factory, proxy_headers=True) as server:
        scope = httpx.get(server.url, headers=headers).json()
    assert scope["client"][0] == "203.0.113.7"
    assert scope["scheme"] == "https"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(loop_factory):
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with ServerThread(
        echo_scope_app, loop_factory, proxy_headers=True, forwarded_allow_ips="10.0.0.0/8"
    ) as server:
        scope = httpx.get(server.url, headers=headers).json()
    assert scope["client"][0] == "127.0.0.1"
    assert scope["scheme"] == "http"


FORWARDED_CASES = [
    # X-Forwarded-For, trusted networks, the client the app should see
    ("203.0.113.7", "127.0.0.1", "203.0.113.7"),
    ("203.0.113.7, 10.0.0.2", "127.0.0.1,10.0.0.0/8", "203.0.113.7"),
    ("198.51.100.1, 203.0.113.7, 10.0.0.2", "127.0.0.1,10.0.0.0/8", "203.0.113.7"),
    ("10.0.0.3, 10.0.0.2", "127.0.0.1,10.0.0.0/8", "10.0.0.3"),
    ("2001:db8::1", "127.0.0.1", "2001:db8::1"),
]


@pytest.mark.parametrize(("forwarded_for", "trusted", "client"), FORWARDED_CASES)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_wrote(forwarded_for, trusted, client):
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    middleware = ProxyHeadersMiddleware(app, Config(app=app, forwarded_allow_ips=trusted)
                                        .trusted_proxies())
    scope = {"type": "http", "client": ("127.0.0.1", 5000), "scheme": "http",
             "headers": [(b"x-forwarded-for", forwarded_for.encode())]}
    asyncio.run(middleware(scope, None, None))
    assert seen["client"] == (client, 0)
    assert seen["scheme"] == "http"


def test_a_websocket_behind_a_tls_proxy_gets_the_wss_scheme():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    middleware = ProxyHeadersMiddleware(app, None)
    scope = {"type": "websocket", "client": ("10.1.1.1", 5000), "scheme": "ws",
             "headers": [(b"x-forwarded-proto", b"https")]}
    asyncio.run(middleware(scope, None, None))
    assert seen["scheme"] == "wss"


# -- trace -------------------------------------------------------------------------------------


def test_trace_prints_each_layer_of_a_request(loop_factory, capfd):
    with ServerThread(echo_body_app, loop_factory, trace=True) as server:
        assert httpx.post(server.url + "/traced", content=b"abc").status_code == 200
    err = capfd.readouterr().err
    assert "transport  read" in err
    assert "http11     event RequestHead" in err
    assert "server     scope {'type': 'http'" in err
    assert "app <- receive() = {'type': 'http.request', 'body': \"b'abc'\"" in err
    assert "app -> send({'type': 'http.response.start'" in err
    assert "transport  write" in err
    assert "request done in" in err


# -- async clients ------------------------------------------------------------------------------


def test_an_async_client_with_concurrent_requests_gets_every_answer(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await asyncio.sleep(0.01)
        body = await read_body(receive)
        await respond(send, 200, scope["path"].encode() + b":" + body)

    async def main(url):
        async with httpx.AsyncClient(base_url=url) as client:
            responses = await asyncio.gather(
                *(client.post(f"/{index}", content=b"%d" % index) for index in range(30))
            )
        return [response.text for response in responses]

    with ServerThread(app, loop_factory) as server:
        texts = asyncio.run(main(server.url))
    assert texts == [f"/{index}:{index}" for index in range(30)]


# -- mixed traffic: one bad request never hurts the others --------------------------------------


def test_good_requests_are_all_answered_among_faults_garbage_and_hang_ups(loop_factory):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/raise":
            raise RuntimeError("deliberate")
        body = await read_body(receive)
        await respond(send, 200, b"ok " + body)

    async def good(client, index):
        response = await client.post(f"/good/{index}", content=b"%d" % index)
        return response.text == f"ok {index}"

    async def bad(port, kind):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if kind == "garbage":
            writer.write(b"\x00\x01 not http at all\r\n\r\n")
        elif kind == "hang-up":
            writer.write(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\nabc")
        else:
            writer.write(b"GET /raise HTTP/1.1\r\nHost: a\r\n\r\n")
        await writer.drain()
        if kind != "hang-up":
            await reader.read(1024)
        writer.close()

    async def main(server):
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=server.url, limits=limits) as client:
            kinds = ["garbage", "hang-up", "raise"] * 10
            results = await asyncio.gather(
                *(good(client, index) for index in range(60)),
                *(bad(server.port, kind) for kind in kinds),
            )
        return results[:60]

    with ServerThread(app, loop_factory) as server:
        answered = asyncio.run(main(server))
        after = httpx.post(server.url + "/good/after", content=b"still here").text
    assert all(answered)
    assert after == "ok still here"


def test_a_pipelined_post_whose_body_arrives_later_is_answered_in_order(loop_factory):
    # RFC 9112 §9.3.2: pipelined requests are answered in order, even when the second
    # one's body comes in a later read than its head (reading resumes for it).
    import socket as socket_module

    with ServerThread("examples.hello:app", loop_factory) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket_module.create_connection((host, int(port)), timeout=10) as client:
            client.sendall(b"GET /?name=first HTTP/1.1\r\nHost: x\r\n\r\n"
                           b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
            received = b""
            while b"Hello, first!" not in received:
                received += client.recv(65536)
            client.sendall(b"second")
            while not received.endswith(b"second"):
                data = client.recv(65536)
                assert data, f"the connection closed early after {received!r}"
                received += data
    first, second = received.split(b"HTTP/1.1 200 OK")[1:]
    assert first.endswith(b"Hello, first!") and second.endswith(b"second")
