"""Responses: objects that know how to send themselves as ASGI messages.

A response is sent in two kinds of message (ASGI HTTP spec): one
"http.response.start" with the status and header fields, then one or more
"http.response.body" pieces, the last with more_body False. Every class here
is an ASGI app itself: `await response(scope, receive, send)`.

    Response            bytes or str you already have, any media type
    ├── JSONResponse    a JSON-ready value, encoded compactly (RFC 8259)
    ├── HTMLResponse    text/html; PlainTextResponse text/plain
    ├── RedirectResponse  307 (method kept, RFC 9110 §15.4.8) and a Location
    ├── StreamingResponse pieces from an (async) iterator, sent as they come
    └── FileResponse    a file from disk, in chunks, with Content-Length,
                        Last-Modified and an ETag (RFC 9110 §8.8)

Framing rules kept here (RFC 9110 §8.6, §6.4.1): a response with a known body
gets Content-Length; 1xx, 204 and 304 get neither body nor Content-Length; a
reply to HEAD sends the head that GET would (Content-Length included) and no
body (RFC 9110 §9.3.2). Text media types get "; charset=utf-8".

After the body, the response runs its `background` task (see miniasgi.background).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import os
import stat
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from miniasgi.background import BackgroundTask
from miniasgi.concurrency import iterate_in_threadpool, run_in_threadpool
from miniasgi.datastructures import MutableHeaders
from miniasgi.status import allows_body
from miniasgi.types import Receive, Scope, Send


class Response:
    """A response whose whole body is known: `Response(b"...", media_type="image/png")`."""

    media_type: str | None = None
    charset = "utf-8"

    def __init__(self, content: Any = None, status_code: int = 200,
                 headers: Mapping[str, str] | None = None, media_type: str | None = None,
                 background: BackgroundTask | None = None):
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        if isinstance(content, bytes | memoryview):
            return bytes(content)
        return content.encode(self.charset)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        raw = [] if headers is None else [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ]
        given = {name for name, _ in raw}
        if b"content-length" not in given and allows_body(self.status_code):
            raw.append((b"content-length", str(len(self.body)).encode("latin-1")))
        media_type = self.media_type
        if media_type is not None and b"content-type" not in given:
            if media_type.startswith("text/") and "charset=" not in media_type:
                media_type += "; charset=" + self.charset
            raw.append((b"content-type", media_type.encode("latin-1")))
        self.raw_headers = raw

    @property
    def headers(self) -> MutableHeaders:
        return _LiveHeaders(self.raw_headers)

    def set_cookie(self, key: str, value: str = "", max_age: int | None = None,
                   expires: int | None = None, path: str | None = "/",
                   domain: str | None = None, secure: bool = False, httponly: bool = False,
                   samesite: str | None = "lax") -> None:
        """Add a Set-Cookie field (RFC 6265 §4.1); samesite one of "lax", "strict", "none"."""
        parts = [f"{key}={quote(value, safe='')}" if value else f"{key}="]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if expires is not None:
            parts.append("expires=" + email.utils.formatdate(expires, usegmt=True))
        if path is not None:
            parts.append(f"Path={path}")
        if domain is not None:
            parts.append(f"Domain={domain}")
        if secure:
            parts.append("Secure")
        if httponly:
            parts.append("HttpOnly")
        if samesite is not None:
            if samesite.lower() not in ("lax", "strict", "none"):
                raise ValueError(f"samesite must be 'lax', 'strict' or 'none', not {samesite!r}")
            parts.append(f"SameSite={samesite.lower()}")
        self.raw_headers.append((b"set-cookie", "; ".join(parts).encode("latin-1")))

    def delete_cookie(self, key: str, path: str = "/", domain: str | None = None) -> None:
        self.set_cookie(key, max_age=0, expires=0, path=path, domain=domain)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        body = self.body if scope.get("method") != "HEAD" else b""
        await send({"type": "http.response.body", "body": body})
        if self.background is not None:
            await self.background()


class _LiveHeaders(MutableHeaders):
    """MutableHeaders that edit the response's own list (no copy)."""

    __slots__ = ()

    def __init__(self, raw: list):
        self.raw = raw


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


def render_json(content: Any) -> bytes:
    """Compact JSON as FastAPI writes it: no spaces, UTF-8, NaN refused (RFC 8259 §6)."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


class JSONResponse(Response):
    """A JSON-ready value (dicts, lists, str, numbers, bools, None) as application/json.

    The value must already be JSON-ready; the framework passes endpoint results
    through miniasgi.encoders first. Use jsonable_encoder() yourself for models.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return render_json(content)


class RedirectResponse(Response):
    """Send the client elsewhere: 307 keeps the method and body (RFC 9110 §15.4.8)."""

    def __init__(self, url: str, status_code: int = 307,
                 headers: Mapping[str, str] | None = None,
                 background: BackgroundTask | None = None):
        super().__init__(content=b"", status_code=status_code, headers=headers,
                         background=background)
        self.raw_headers.append(
            (b"location", quote(str(url), safe=":/%#?=@[]!$&'()*+,;~").encode("latin-1")))


class StreamingResponse(Response):
    """A body produced piece by piece: an async iterator, or a sync one (run in threads).

    Without a Content-Length the server frames the body itself (chunked coding
    in HTTP/1.1, RFC 9112 §7.1), so the size need not be known in advance.
    """

    def __init__(self, content: AsyncIterable | Iterable, status_code: int = 200,
                 headers: Mapping[str, str] | None = None, media_type: str | None = None,
                 background: BackgroundTask | None = None):
        if isinstance(content, AsyncIterable):
            self.body_iterator = content
        else:
            self.body_iterator = iterate_in_threadpool(content)
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = b""
        self.init_headers(headers)
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if scope.get("method") != "HEAD":
            async for chunk in self.body_iterator:
                if isinstance(chunk, str):
                    chunk = chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()


class FileResponse(Response):
    """A file from disk, read in chunks in the thread pool.

    Sends Content-Length, Last-Modified (RFC 9110 §8.8.2) and a weak-free ETag
    made from the file's size and modification time (§8.8.3), and, with
    `filename`, Content-Disposition: attachment (RFC 6266, RFC 8187 for
    non-ASCII names). A missing path raises FileNotFoundError when sent.
    """

    chunk_size = 64 * 1024

    def __init__(self, path: str | os.PathLike, status_code: int = 200,
                 headers: Mapping[str, str] | None = None, media_type: str | None = None,
                 background: BackgroundTask | None = None, filename: str | None = None):
        self.path = os.fspath(path)
        self.status_code = status_code
        self.filename = filename
        if media_type is None:
            guessed, _ = mimetypes.guess_type(filename or self.path)
            media_type = guessed or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.body = b""
        self.init_headers(headers)
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        if filename is not None:
            self.raw_headers.append((b"content-disposition", _disposition(filename)))

    def _add_file_headers(self, result: os.stat_result) -> None:
        tag = hashlib.md5(f"{result.st_mtime}-{result.st_size}".encode(),
                          usedforsecurity=False).hexdigest()
        self.raw_headers += [
            (b"content-length", str(result.st_size).encode("latin-1")),
            (b"last-modified", email.utils.formatdate(result.st_mtime, usegmt=True).encode()),
            (b"etag", f'"{tag}"'.encode("latin-1")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        result = await run_in_threadpool(os.stat, self.path)
        if not stat.S_ISREG(result.st_mode):
            raise RuntimeError(f"FileResponse path {self.path!r} is not a regular file")
        self._add_file_headers(result)
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
        else:
            handle = await run_in_threadpool(open, self.path, "rb")
            try:
                more_body = True
                while more_body:
                    chunk = await run_in_threadpool(handle.read, self.chunk_size)
                    more_body = len(chunk) == self.chunk_size
                    await send({"type": "http.response.body", "body": chunk,
                                "more_body": more_body})
            finally:
                await run_in_threadpool(handle.close)
        if self.background is not None:
            await self.background()


def _disposition(filename: str) -> bytes:
    quoted = quote(filename)
    if quoted == filename:
        return f'attachment; filename="{filename}"'.encode("latin-1")
    return f"attachment; filename*=utf-8''{quoted}".encode("latin-1")
