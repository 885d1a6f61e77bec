"""Response compression with gzip (RFC 9110 §8.4 Content-Encoding, RFC 1952 the format).

A client lists the codings it can read in Accept-Encoding (RFC 9110 §12.5.3):
`Accept-Encoding: gzip, br;q=0.8`. When gzip is acceptable (present with a
q-value above 0), this middleware compresses the body and says so:
Content-Encoding: gzip, a new Content-Length, and `Vary: Accept-Encoding` so a
cache keeps both versions apart.

Left uncompressed on purpose:
- bodies smaller than `minimum_size` (gzip's ~20 bytes of framing and the CPU
  are not worth it for a short JSON answer);
- responses the app already encoded (a Content-Encoding is present);
- text/event-stream, whose events must reach the client as soon as sent.

A streamed body (more_body=True) is compressed piece by piece with a sync
flush after each piece, so the client can decode what has arrived; the
length is then unknown, so Content-Length is removed and the server frames
the body (chunked coding in HTTP/1.1).
"""

from __future__ import annotations

import zlib

from miniasgi.datastructures import Headers
from miniasgi.types import ASGIApp, Message, Receive, Scope, Send

GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's way of asking for the gzip container (RFC 1952)


def accepts_gzip(accept_encoding: str) -> bool:
    """True if the Accept-Encoding value allows gzip (or `*`) with a q-value above 0."""
    wildcard = None
    for item in accept_encoding.split(","):
        coding, _, parameters = item.strip().partition(";")
        coding = coding.strip().lower()
        quality = 1.0
        parameters = parameters.strip().lower()
        if parameters.startswith("q="):
            try:
                quality = float(parameters[2:])
            except ValueError:
                quality = 0.0
        if coding in ("gzip", "x-gzip"):
            return quality > 0
        if coding == "*":
            wildcard = quality > 0
    return bool(wildcard)


class GZipMiddleware:
    """Compress response bodies for clients that accept gzip (see the module docstring)."""

    def __init__(self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 9):
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(
                Headers(scope=scope).get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return
        responder = _GZipResponder(send, self.minimum_size, self.compresslevel)
        await self.app(scope, receive, responder.send)


class _GZipResponder:
    """The per-response state: hold the start message until the first body piece decides."""

    def __init__(self, send: Send, minimum_size: int, compresslevel: int):
        self.downstream = send
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.start: Message | None = None
        self.mode = "UNDECIDED"  # UNDECIDED -> PASSTHROUGH | COMPRESS_WHOLE | COMPRESS_STREAM
        self.compressor = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.start = message
            headers = Headers(raw=message.get("headers", []))
            if "content-encoding" in headers or headers.get(
                    "content-type", "").startswith("text/event-stream"):
                self.mode = "PASSTHROUGH"
                await self.downstream(message)
            return
        if kind != "http.response.body" or self.mode == "PASSTHROUGH":
            await self.downstream(message)
            return
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if self.mode == "UNDECIDED":
            await self._decide(body, more_body)
        else:
            await self._send_compressed(body, more_body)

    async def _decide(self, body: bytes, more_body: bool) -> None:
        if not more_body and len(body) < self.minimum_size:
            self.mode = "PASSTHROUGH"
            await self.downstream(self.start)
            await self.downstream({"type": "http.response.body", "body": body})
            return
        self.compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, GZIP_WBITS)
        raw = [(k, v) for k, v in self.start.get("headers", []) if k != b"content-length"]
        raw.append((b"content-encoding", b"gzip"))
        raw = _with_vary_accept_encoding(raw)
        if not more_body:
            self.mode = "COMPRESS_WHOLE"
            compressed = self.compressor.compress(body) + self.compressor.flush()
            raw.append((b"content-length", str(len(compressed)).encode("latin-1")))
            await self.downstream(dict(self.start, headers=raw))
            await self.downstream({"type": "http.response.body", "body": compressed})
            return
        self.mode = "COMPRESS_STREAM"
        await self.downstream(dict(self.start, headers=raw))
        await self._send_compressed(body, more_body)

    async def _send_compressed(self, body: bytes, more_body: bool) -> None:
        if more_body:
            data = self.compressor.compress(body) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        else:
            data = self.compressor.compress(body) + self.compressor.flush()
        await self.downstream({"type": "http.response.body", "body": data,
                               "more_body": more_body})


def _with_vary_accept_encoding(raw: list) -> list:
    for index, (key, value) in enumerate(raw):
        if key == b"vary":
            if b"accept-encoding" not in value.lower():
                raw[index] = (key, value + b", Accept-Encoding")
            return raw
    raw.append((b"vary", b"Accept-Encoding"))
    return raw
