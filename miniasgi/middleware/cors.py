"""Cross-Origin Resource Sharing (the Fetch Standard, §3.2 "CORS protocol").

A page from https://shop.example may not read responses from https://api.example
unless the API says so: the browser sends `Origin: https://shop.example` and
reads the answer only if it carries a matching Access-Control-Allow-Origin.
Before a request that a plain HTML form could not send (a PUT, a JSON
Content-Type, an Authorization header), the browser first asks with a
*preflight*: `OPTIONS` with Access-Control-Request-Method (and -Headers). This
middleware answers preflights itself and adds the headers to actual responses:

| request                                   | answer                                    |
|-------------------------------------------|-------------------------------------------|
| no Origin header                          | passed through untouched (not CORS)       |
| OPTIONS + Access-Control-Request-Method   | preflight: 200 with Allow-Origin/-Methods/|
|                                           | -Headers/-Max-Age, or 400 naming what was |
|                                           | not allowed (the app is not called)       |
| any other request with an Origin          | the app's response + Allow-Origin,        |
|                                           | -Credentials, -Expose-Headers, Vary       |

Rules kept: `*` can never be combined with credentials (Fetch §3.2.5), so with
allow_credentials the request's Origin is echoed instead of `*`, and whenever
the answer depends on the Origin, `Vary: Origin` tells caches so (RFC 9110
§12.5.5). The CORS-safelisted request headers (Accept, Accept-Language,
Content-Language, Content-Type; Fetch §2.2.2) are always allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from miniasgi.datastructures import Headers
from miniasgi.responses import PlainTextResponse
from miniasgi.types import ASGIApp, Message, Receive, Scope, Send

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
SAFELISTED_HEADERS = {"accept", "accept-language", "content-language", "content-type"}


class CORSMiddleware:
    """Answer CORS preflights and label responses for cross-origin readers."""

    def __init__(self, app: ASGIApp, allow_origins: Sequence[str] = (),
                 allow_methods: Sequence[str] = ("GET",), allow_headers: Sequence[str] = (),
                 allow_credentials: bool = False, allow_origin_regex: str | None = None,
                 expose_headers: Sequence[str] = (), max_age: int = 600):
        self.app = app
        self.allow_all_origins = "*" in allow_origins
        self.allow_origins = set(allow_origins)
        self.allow_origin_regex = re.compile(allow_origin_regex) if allow_origin_regex else None
        self.allow_methods = ALL_METHODS if "*" in allow_methods else tuple(
            method.upper() for method in allow_methods)
        self.allow_all_headers = "*" in allow_headers
        self.allow_headers = SAFELISTED_HEADERS | {name.lower() for name in allow_headers}
        self.allow_credentials = allow_credentials
        self.expose_headers = ", ".join(expose_headers)
        self.max_age = max_age
        # The answer depends on Origin unless every origin gets the same literal "*".
        self.varies_by_origin = not self.allow_all_origins or allow_credentials

    def origin_allowed(self, origin: str) -> bool:
        if self.allow_all_origins or origin in self.allow_origins:
            return True
        return bool(self.allow_origin_regex and self.allow_origin_regex.fullmatch(origin))

    def allow_origin_value(self, origin: str) -> str:
        if self.allow_all_origins and not self.allow_credentials:
            return "*"
        return origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self.preflight_response(origin, headers)(scope, receive, send)
            return
        await self.app(scope, receive, self._labelling_send(origin, send))

    def preflight_response(self, origin: str, headers: Headers) -> PlainTextResponse:
        """The preflight answer (Fetch §3.2.3): 200 when origin, method and headers pass."""
        problems = []
        if not self.origin_allowed(origin):
            problems.append("origin")
        if headers["access-control-request-method"].upper() not in self.allow_methods:
            problems.append("method")
        requested = [name.strip().lower() for name in
                     headers.get("access-control-request-headers", "").split(",") if name.strip()]
        if not self.allow_all_headers and any(n not in self.allow_headers for n in requested):
            problems.append("headers")
        answer = {
            "access-control-allow-methods": ", ".join(self.allow_methods),
            "access-control-max-age": str(self.max_age),
        }
        if self.origin_allowed(origin):
            answer["access-control-allow-origin"] = self.allow_origin_value(origin)
        if self.allow_all_headers and requested:
            answer["access-control-allow-headers"] = ", ".join(requested)
        elif self.allow_headers:
            answer["access-control-allow-headers"] = ", ".join(sorted(self.allow_headers))
        if self.allow_credentials:
            answer["access-control-allow-credentials"] = "true"
        if self.varies_by_origin:
            answer["vary"] = "Origin"
        if problems:
            return PlainTextResponse("Disallowed CORS " + ", ".join(problems), status_code=400,
                                     headers=answer)
        return PlainTextResponse("OK", status_code=200, headers=answer)

    def _labelling_send(self, origin: str, send: Send) -> Send:
        allowed = self.origin_allowed(origin)

        async def send_with_cors_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and (allowed or self.varies_by_origin):
                raw = list(message.get("headers", []))
                if allowed:
                    raw.append((b"access-control-allow-origin",
                                self.allow_origin_value(origin).encode("latin-1")))
                    if self.allow_credentials:
                        raw.append((b"access-control-allow-credentials", b"true"))
                    if self.expose_headers:
                        raw.append((b"access-control-expose-headers",
                                    self.expose_headers.encode("latin-1")))
                if self.varies_by_origin:
                    raw = _add_vary(raw, "Origin")
                message = dict(message, headers=raw)
            await send(message)

        return send_with_cors_headers


def _add_vary(raw: list[tuple[bytes, bytes]], name: str) -> list[tuple[bytes, bytes]]:
    """Add `name` to the Vary field, keeping what the app put there (RFC 9110 §12.5.5)."""
    for index, (key, value) in enumerate(raw):
        if key == b"vary":
            listed = [item.strip().lower() for item in value.decode("latin-1").split(",")]
            if name.lower() not in listed and "*" not in listed:
                raw[index] = (key, value + b", " + name.encode("latin-1"))
            return raw
    raw.append((b"vary", name.encode("latin-1")))
    return raw
