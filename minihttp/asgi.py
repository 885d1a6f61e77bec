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
:func:`build_http_scope` is where a parsed request head becomes a scope
(starting from :func:`scope_template`, the fields a server fills in once).

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
from urllib.parse import unquote_to_bytes

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


# -- from a parsed request head to the scope ------------------------------------------

METHOD_NAMES = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")}
HTTP_VERSIONS = {b"1.1": "1.1", b"1.0": "1.0"}
# `b"%" in path` asks for a buffer of the needle first: ~3x the cost of looking for the
# byte's value, measured with callgrind (1% of a whole hello-world request).
PERCENT = ord("%")


def scope_template(root_path: str, asgi_versions: ASGIVersions) -> HTTPScope:
    """The fields that every request's scope on one server shares, filled in once.

    build_http_scope() starts each scope as a copy of this and sets the
    request's own fields: copying a prepared dict and setting nine keys takes
    about half the time of building all thirteen from a literal (~0.25 us per
    request, measured with timeit).
    """
    return {
        "type": "http",
        "asgi": asgi_versions,
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": root_path,
        "headers": [],
        "client": None,
        "server": None,
        "state": {},
    }


def build_http_scope(
    head: Any,
    client: tuple[str, int] | None,
    server: tuple[str, int] | None,
    template: HTTPScope,
    lifespan_state: dict[str, Any],
) -> HTTPScope:
    """The scope for one request head (a minihttp.http11.RequestHead).

    `template` is the server's scope_template(). The target is split at the
    first "?" into raw_path and query_string; the path is percent-decoded as
    UTF-8 (invalid sequences become U+FFFD, as Uvicorn does). An
    absolute-form target (``http://host/path``, RFC 9112 §3.2.2) contributes
    only its path. root_path is prefixed to both path and raw_path: the spec's
    WSGI-compatibility section reads path as the full path (SCRIPT_NAME +
    PATH_INFO), and Uvicorn and Starlette (since its root_path rework, PR
    2400) agree, so routers strip root_path themselves. Raises ValueError for
    a target that has no path at all.
    """
    raw_path, _, query_string = head.target.partition(b"?")
    if not raw_path.startswith(b"/"):
        raw_path = origin_path(raw_path)
    if PERCENT in raw_path:  # an int: bytes finds it with memchr, no buffer protocol
        path = unquote_to_bytes(raw_path).decode("utf-8", "replace")
    else:
        path = raw_path.decode("utf-8", "replace")
    root_path = template["root_path"]
    if root_path:
        path = root_path + path
        raw_path = root_path.encode("utf-8") + raw_path
    method = head.method
    scope = template.copy()
    scope["http_version"] = HTTP_VERSIONS.get(head.http_version) or head.http_version.decode()
    scope["method"] = METHOD_NAMES.get(method) or method.decode("ascii")
    scope["path"] = path
    scope["raw_path"] = raw_path
    scope["query_string"] = query_string
    scope["headers"] = head.headers
    scope["client"] = client
    scope["server"] = server
    scope["state"] = lifespan_state.copy()
    return scope


def origin_path(target: bytes) -> bytes:
    """The path of an absolute-form or asterisk-form target (RFC 9112 §3.2.2, §3.2.4)."""
    if target == b"*":
        return b"*"
    scheme, separator, rest = target.partition(b"://")
    if separator and scheme.lower() in (b"http", b"https"):
        slash = rest.find(b"/")
        return rest[slash:] if slash >= 0 else b"/"
    raise ValueError(
        f"request target {target[:100]!r} is not a path: send '/path', "
        "'http://host/path', or '*' for OPTIONS"
    )
