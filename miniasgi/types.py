"""The ASGI interface as the framework sees it (ASGI 3.0, HTTP and lifespan specs).

An ASGI application is one coroutine function, `app(scope, receive, send)`:

    scope    a dict describing the connection, built once by the server:
             {"type": "http", "method": "GET", "path": "/items/5",
              "raw_path": b"/items/5", "query_string": b"q=1",
              "headers": [(b"host", b"example.org"), ...], "client": ("1.2.3.4", 5),
              "server": ("example.org", 80), "scheme": "http", "root_path": "",
              "http_version": "1.1", "state": {...}}
    receive  awaited for the next event from the client:
             {"type": "http.request", "body": b"...", "more_body": False}
             or {"type": "http.disconnect"}
    send     awaited with the next event for the client:
             {"type": "http.response.start", "status": 200, "headers": [...]}
             then one or more {"type": "http.response.body", "body": b"...",
             "more_body": bool}

The lifespan protocol (ASGI lifespan spec 2.0) runs once per process with a scope
of type "lifespan": the server sends "lifespan.startup" and then, at exit,
"lifespan.shutdown"; the app answers "...complete" or "...failed" with a message.

Header names and values are bytes; names arrive lower-cased (the HTTP spec
makes them case-insensitive, ASGI makes servers lower-case them). This module
names the shapes so the rest of miniasgi can say what it expects; the server
side (minihttp) keeps its own copy, because neither package imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RawHeaders = list[tuple[bytes, bytes]]
