"""Calling an ASGI app from tests without a server or a socket: TestClient and ASGITransport.

httpx separates the client (cookies, redirects, base URLs) from the *transport*
that moves a request and brings back a response. A transport that, instead of
opening a socket, builds the ASGI scope, calls `app(scope, receive, send)` and
collects the messages into a response is all an in-process test needs; the
application cannot tell it from a server.

    ASGITransport(app)   an httpx.AsyncBaseTransport, for async tests:
                             async with httpx.AsyncClient(transport=ASGITransport(app=app),
                                                          base_url="http://test") as client:
                                 response = await client.get("/items/1")
    TestClient(app)      an httpx.Client for plain (sync) tests, as Starlette's:
                             with TestClient(app) as client:     # runs the lifespan
                                 assert client.get("/").status_code == 200

TestClient runs the app on an event loop in a helper thread (a "portal"): a
sync test hands each request over and waits for the answer. Used as a context
manager it runs the lifespan's startup on entry and shutdown on exit, and
passes the lifespan state to every request, as a server does.

An exception the app lets escape is raised in the test (raise_server_exceptions
=True, Starlette's default), so a bug shows its traceback instead of a bare 500;
pass False to see the 500 response the server would send.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any
from urllib.parse import unquote

import httpx

from miniasgi.types import ASGIApp, Message


def _scope_for(request: httpx.Request, body_headers: list, *, root_path: str,
               client: tuple[str, int]) -> dict:
    url = request.url
    scheme = url.scheme
    default_port = {"http": 80, "https": 443}.get(scheme, 80)
    raw_path = url.raw_path.split(b"?", 1)[0]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": url.query,
        "root_path": root_path,
        "headers": body_headers,
        "client": client,
        "server": (url.host, url.port or default_port),
    }


def _headers_of(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    return [(name.lower(), value) for name, value in request.headers.raw]


class ASGITransport(httpx.AsyncBaseTransport):
    """An httpx transport that calls an ASGI app in the same process."""

    def __init__(self, app: ASGIApp, *, raise_app_exceptions: bool = True,
                 root_path: str = "", client: tuple[str, int] = ("127.0.0.1", 123),
                 state: dict | None = None):
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions
        self.root_path = root_path
        self.client = client
        self.state = state

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        status, headers, content = await self.call_app(request, body)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content),
                              request=request)

    async def call_app(self, request: httpx.Request, body: bytes
                       ) -> tuple[int, list, bytes]:
        """Run the app for one request; return (status, headers, body)."""
        scope = _scope_for(request, _headers_of(request), root_path=self.root_path,
                           client=self.client)
        if self.state is not None:
            scope["state"] = dict(self.state)
        body_sent = False
        response_done = asyncio.Event()
        start: Message | None = None
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await response_done.wait()  # the client stays until the response is complete
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if start is not None:
                    raise RuntimeError("the app sent http.response.start twice")
                start = message
            elif message["type"] == "http.response.body":
                if start is None:
                    raise RuntimeError("the app sent a body before http.response.start")
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    response_done.set()

        try:
            await self.app(scope, receive, send)
        except Exception:
            if self.raise_app_exceptions:
                raise
            if start is None:
                return 500, [], b"Internal Server Error"
        finally:
            response_done.set()
        if start is None:
            raise RuntimeError(f"the app returned without sending a response to "
                               f"{request.method} {request.url}")
        headers = [(name, value) for name, value in start.get("headers", [])]
        return start["status"], headers, b"".join(chunks)


class _Portal:
    """An event loop running in a helper thread; sync code submits coroutines to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="testclient-portal",
                                       daemon=True)
        self.thread.start()

    def call(self, coroutine: Coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class _PortalTransport(httpx.BaseTransport):
    def __init__(self, client: TestClient):
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        transport = self.client.asgi_transport
        status, headers, content = self.client.portal_call(transport.call_app(request, body))
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content),
                              request=request)


class TestClient(httpx.Client):
    """A sync httpx client wired to an ASGI app (see the module docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(self, app: ASGIApp, base_url: str = "http://testserver", *,
                 raise_server_exceptions: bool = True, root_path: str = "",
                 follow_redirects: bool = True, cookies: Any = None,
                 headers: dict[str, str] | None = None,
                 client: tuple[str, int] = ("testclient", 50000)):
        self.app = app
        self.asgi_transport = ASGITransport(app, raise_app_exceptions=raise_server_exceptions,
                                            root_path=root_path, client=client)
        self._portal: _Portal | None = None
        self._lifespan: _Lifespan | None = None
        merged_headers = {"user-agent": "testclient", **(headers or {})}
        super().__init__(base_url=base_url, transport=_PortalTransport(self),
                         follow_redirects=follow_redirects, cookies=cookies,
                         headers=merged_headers)

    # Outside a `with` block every TestClient shares one helper loop (one thread for the
    # whole test run, not one per client); inside, a client gets its own, closed at exit,
    # so what the lifespan creates lives and dies with that loop.
    _shared_portal: _Portal | None = None

    def portal_call(self, coroutine: Coroutine) -> Any:
        portal = self._portal
        if portal is None:
            if TestClient._shared_portal is None:
                TestClient._shared_portal = _Portal()
            portal = TestClient._shared_portal
        return portal.call(coroutine)

    def __enter__(self) -> TestClient:
        self._portal = _Portal()
        state: dict = {}
        self._lifespan = _Lifespan(self.app, state)
        try:
            self.portal_call(self._lifespan.startup())
        except BaseException:
            self._lifespan = None
            self._close_portal()
            raise
        self.asgi_transport.state = state
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self._lifespan is not None:
                self.portal_call(self._lifespan.shutdown())
        finally:
            self._lifespan = None
            self.asgi_transport.state = None
            self._close_portal()  # the client itself stays usable, as Starlette's does

    def _close_portal(self) -> None:
        if self._portal is not None:
            self._portal.close()
            self._portal = None

    def close(self) -> None:
        super().close()
        self._close_portal()


class _Lifespan:
    """Drives the app's lifespan scope (ASGI lifespan spec) as a server would."""

    def __init__(self, app: ASGIApp, state: dict):
        self.app = app
        self.state = state
        self.task: asyncio.Task | None = None

    async def startup(self) -> None:
        self.to_app: asyncio.Queue = asyncio.Queue()
        self.from_app: asyncio.Queue = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                 "state": self.state}
        self.task = asyncio.ensure_future(self.app(scope, self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "lifespan.startup"})
        await self._expect("lifespan.startup.complete")

    async def shutdown(self) -> None:
        await self.to_app.put({"type": "lifespan.shutdown"})
        await self._expect("lifespan.shutdown.complete")
        await self.task

    async def _expect(self, wanted: str) -> None:
        getter = asyncio.ensure_future(self.from_app.get())
        done, _ = await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            message = getter.result()
            if message["type"] != wanted:
                raise RuntimeError(f"lifespan failed: expected {wanted}, the app sent "
                                   f"{message['type']}:\n{message.get('message', '')}")
            return
        getter.cancel()
        error = self.task.exception()
        if error is not None:
            raise error
        raise RuntimeError(f"the app's lifespan ended without sending {wanted}")
