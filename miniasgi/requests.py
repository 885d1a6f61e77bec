"""Request: a read-only view of one HTTP request, built over the ASGI scope.

The server describes the request once, in the scope dict (see miniasgi.types);
`Request` gives it names: `request.method`, `.url`, `.headers`, `.query_params`,
`.path_params`, `.cookies`, `.client`, `.state`. Everything is parsed lazily
and cached, so a request pays only for what the endpoint reads.

The body is not in the scope: it arrives as "http.request" messages from
`receive()`, possibly in many pieces. `await request.body()` collects them all;
`request.stream()` yields them as they come (for large uploads); `await
request.json()` and `await request.form()` parse the collected body. The body
can be read only once from the server, so body() keeps it for later readers.

Cookies follow RFC 6265 §5.4: the Cookie header is `name=value` pairs separated
by "; ". A malformed pair is skipped, not fatal, as browsers do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from miniasgi.datastructures import URL, Address, FormData, Headers, QueryParams, State
from miniasgi.types import Receive, Scope


class ClientDisconnect(Exception):
    """The client went away before the whole body arrived."""


async def _no_receive() -> dict:
    raise RuntimeError("this request has no receive channel: it was built from a scope alone")


def parse_cookie_header(header: str) -> dict[str, str]:
    """`"a=1; b=2"` -> {"a": "1", "b": "2"} (RFC 6265 §5.4 Cookie header)."""
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, separator, value = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies


class Request:
    """The request an endpoint is answering (see the module docstring)."""

    def __init__(self, scope: Scope, receive: Receive = _no_receive):
        self.scope = scope
        self._receive = receive
        self._headers: Headers | None = None
        self._query_params: QueryParams | None = None
        self._cookies: dict[str, str] | None = None
        self._body: bytes | None = None
        self._json: Any = None
        self._form: FormData | None = None
        self._stream_consumed = False
        self._is_disconnected = False

    # -- the head, from the scope --------------------------------------------------------
    @property
    def method(self) -> str:
        return self.scope["method"]

    @property
    def url(self) -> URL:
        return URL.from_scope(self.scope)

    @property
    def base_url(self) -> URL:
        url = self.url
        return url.replace(path=self.scope.get("root_path", "") + "/", query="")

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(scope=self.scope)
        return self._headers

    @property
    def query_params(self) -> QueryParams:
        if self._query_params is None:
            self._query_params = QueryParams(self.scope.get("query_string", b""))
        return self._query_params

    @property
    def path_params(self) -> dict[str, Any]:
        return self.scope.get("path_params", {})

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            header = self.headers.get("cookie")
            self._cookies = parse_cookie_header(header) if header else {}
        return self._cookies

    @property
    def client(self) -> Address | None:
        client = self.scope.get("client")
        return Address(*client) if client is not None else None

    @property
    def app(self) -> Any:
        return self.scope.get("app")

    @property
    def state(self) -> State:
        """Per-request state, started from the lifespan's state (a shallow copy, so
        setting request.state.user does not leak into other requests)."""
        if "miniasgi.request_state" not in self.scope:
            self.scope["miniasgi.request_state"] = State(dict(self.scope.get("state") or {}))
        return self.scope["miniasgi.request_state"]

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        path = self.scope["app"].url_path_for(name, **path_params)
        return self.base_url.replace(path=self.scope.get("root_path", "") + path)

    # -- the body, from receive() --------------------------------------------------------
    @property
    def receive(self) -> Receive:
        return self._receive

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body's pieces as they arrive; ends with b"" (the end of the body)."""
        if self._body is not None:
            yield self._body
            yield b""
            return
        self._start_consuming()
        more_body = True
        while more_body:
            chunk, more_body = await self._next_chunk()
            if chunk:
                yield chunk
        yield b""

    async def body(self) -> bytes:
        """The whole body (every piece received, joined); kept for later readers."""
        if self._body is None:
            self._start_consuming()
            chunks = []
            more_body = True
            while more_body:  # a plain loop, not stream(): this is every POST's hot path
                chunk, more_body = await self._next_chunk()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    def _start_consuming(self) -> None:
        if self._stream_consumed:
            raise RuntimeError(
                "the request body was already streamed: call await request.body() before "
                "stream() if you need the body twice"
            )
        self._stream_consumed = True

    async def _next_chunk(self) -> tuple[bytes, bool]:
        """(the next piece of the body, whether more follow); raises ClientDisconnect."""
        while True:
            message = await self._receive()
            if message["type"] == "http.request":
                return message.get("body", b""), message.get("more_body", False)
            if message["type"] == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()

    async def json(self) -> Any:
        """The body parsed as JSON (RFC 8259). Raises json.JSONDecodeError when it is not."""
        if self._json is None:
            body = await self.body()
            self._json = json.loads(body)
        return self._json

    async def form(self) -> FormData:
        """The body parsed as application/x-www-form-urlencoded or multipart/form-data."""
        if self._form is None:
            from miniasgi.forms import FormBuilder, multipart_boundary, parse_form

            content_type = self.headers.get("content-type", "")
            boundary = multipart_boundary(content_type)
            if boundary is not None and self._body is None:
                # Parse while receiving: uploaded files go to their spooled files as the
                # pieces arrive, and the body is never held whole in memory.
                builder = FormBuilder(boundary)
                async for chunk in self.stream():
                    builder.feed(chunk)
                self._form = builder.close()
            else:
                self._form = parse_form(content_type, await self.body())
        return self._form

    async def close(self) -> None:
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """True once the client has gone. Looks at a waiting message without blocking."""
        if self._is_disconnected:
            return True
        # Give receive() one turn of the loop: a message already waiting is returned
        # at once; otherwise the client has said nothing, so it has not gone.
        pending = asyncio.ensure_future(self._receive())
        await asyncio.sleep(0)
        if not pending.done():
            pending.cancel()
            return False
        message = pending.result()
        if message.get("type") == "http.disconnect":
            self._is_disconnected = True
        return self._is_disconnected
