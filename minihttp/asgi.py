"""The ASGI messages, as the server sees them (ASGI 3.0, HTTP spec 2.3, lifespan 2.0).

ASGI is the whole contract between a server and an application: the server
calls ``await app(scope, receive, send)`` once per request (and once for the
lifespan of the process), where

- ``scope`` is a dict that describes the connection and the request head;
- ``receive()`` is an awaitable that returns the next *event* from the client
  (body chunks, then ``http.disconnect``);
- ``send(message)`` is an awaitable that takes the next *message* of the
  response (its start line and headers, then body chunks).

This module is the server side's one written description of those dicts
(https://asgi.readthedocs.io/en/latest/specs/www.html and .../lifespan.html).
The framework describes the same messages from its own side; nothing is shared
across the boundary except the dicts themselves, which is the point of ASGI.

The types are ``TypedDict``: at run time they are plain dicts (no cost per
request), for the reader and a type checker they name every key.

The HTTP exchange, one request (the server keeps this order)::

    app  <- scope {"type": "http", ...}
    app  -> receive()  <- {"type": "http.request", "body": b"...", "more_body": True}
    app  -> receive()  <- {"type": "http.request", "body": b"",    "more_body": False}
    app  -> send({"type": "http.response.start", "status": 200, "headers": [...]})
    app  -> send({"type": "http.response.body", "body": b"...", "more_body": False})
    app  -> receive()  <- {"type": "http.disconnect"}     (after the response, or when
                                                          the client goes away)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal, TypedDict

ASGI_VERSION = "3.0"
HTTP_SPEC_VERSION = "2.3"
LIFESPAN_SPEC_VERSION = "2.0"


class ASGIVersions(TypedDict):
    version: str
    spec_version: str


class HTTPScope(TypedDict):
    """The scope of one HTTP request (ASGI HTTP spec, "HTTP Connection Scope")."""

    type: Literal["http"]
    asgi: ASGIVersions
    http_version: str  # "1.0" or "1.1"
    method: str  # upper case, as sent: "GET"
    scheme: str  # "http" (or "https" behind a trusted proxy)
    path: str  # percent-decoded, UTF-8, including root_path
    raw_path: bytes  # as sent, without the query string, including root_path
    query_string: bytes  # after the "?", still percent-encoded
    root_path: str  # where the app is mounted, "" by default
    headers: Iterable[tuple[bytes, bytes]]  # names lower-cased, order and repeats kept
    client: tuple[str, int] | None  # the peer, None over a Unix socket
    server: tuple[str, int | None] | None  # where we listen
    state: dict[str, Any]  # a shallow copy of the lifespan state


class HTTPRequestEvent(TypedDict):
    type: Literal["http.request"]
    body: bytes
    more_body: bool


class HTTPDisconnectEvent(TypedDict):
    type: Literal["http.disconnect"]


class HTTPResponseStartMessage(TypedDict, total=False):
    type: Literal["http.response.start"]
    status: int
    headers: Iterable[tuple[bytes, bytes]]
    trailers: bool  # not supported: sending trailers is refused with a clear error


class HTTPResponseBodyMessage(TypedDict, total=False):
    type: Literal["http.response.body"]
    body: bytes
    more_body: bool


class LifespanScope(TypedDict):
    type: Literal["lifespan"]
    asgi: ASGIVersions
    state: dict[str, Any]  # the app fills it at startup; each request gets a copy


class LifespanEvent(TypedDict):
    type: Literal["lifespan.startup", "lifespan.shutdown"]


class LifespanMessage(TypedDict, total=False):
    type: Literal[
        "lifespan.startup.complete",
        "lifespan.startup.failed",
        "lifespan.shutdown.complete",
        "lifespan.shutdown.failed",
    ]
    message: str


Scope = HTTPScope | LifespanScope
Event = HTTPRequestEvent | HTTPDisconnectEvent | LifespanEvent
Message = HTTPResponseStartMessage | HTTPResponseBodyMessage | LifespanMessage
Receive = Callable[[], Awaitable[Event]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ASGIMessageError(RuntimeError):
    """The application sent a message the ASGI spec does not allow at this point.

    Raised inside the application's ``await send(...)``: the message says what
    was sent, what the server expected, and how to fix it. If the application
    lets it propagate, the server logs it and answers 500 (or closes the
    connection when the response had already started).
    """
