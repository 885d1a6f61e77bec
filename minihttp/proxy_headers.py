"""Behind a reverse proxy: believe X-Forwarded-For and X-Forwarded-Proto, from trusted peers only.

When nginx sits in front of the server, every connection comes from nginx:
the scope's ``client`` is the proxy, and the scheme is ``http`` even when the
browser used HTTPS. Proxies therefore pass the original facts in headers:

    X-Forwarded-For: <browser>, <proxy 1>, ...    each proxy appends its peer
    X-Forwarded-Proto: https                      the scheme the browser used

(RFC 7239 standardised the same as ``Forwarded:``; the X- forms are what nginx
and most load balancers send by default, so they are the ones read here.)

Anyone can send these headers, so they are believed only when the *connection*
comes from an address in ``--forwarded-allow-ips``. The client address is then
the rightmost entry of X-Forwarded-For that is not itself a trusted proxy: the
entries left of it were written by parties we cannot vouch for.

This is an ASGI middleware (an app wrapping the app), which keeps the cost at
zero for servers that do not enable it.
"""

from __future__ import annotations

import ipaddress
from typing import Any


class ProxyHeadersMiddleware:
    """Rewrite scope["client"] and scope["scheme"] from trusted proxies' headers."""

    def __init__(self, app: Any, trusted: list[Any] | None) -> None:
        self.app = app
        self.trusted = trusted  # None means: trust every peer ("*")

    def is_trusted(self, host: str) -> bool:
        if self.trusted is None:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False  # not an IP (a Unix socket peer, a name): never trusted
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = client[0] if client else None
            if peer is not None and self.is_trusted(peer):
                scope = self.apply_forwarded_headers(scope)
        await self.app(scope, receive, send)

    def apply_forwarded_headers(self, scope: dict[str, Any]) -> dict[str, Any]:
        forwarded_for = forwarded_proto = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            elif name == b"x-forwarded-proto":
                forwarded_proto = value.decode("latin-1")
        if forwarded_for is None and forwarded_proto is None:
            return scope
        scope = dict(scope)
        if forwarded_proto is not None:
            scheme = forwarded_proto.split(",")[0].strip().lower()
            if scheme in ("http", "https", "ws", "wss"):
                if scope["type"] == "websocket":
                    scheme = scheme.replace("http", "ws")
                scope["scheme"] = scheme
        if forwarded_for is not None:
            client_host = self.original_client(forwarded_for)
            if client_host is not None:
                scope["client"] = (client_host, 0)
        return scope

    def original_client(self, forwarded_for: str) -> str | None:
        """The rightmost address in the X-Forwarded-For chain that we do not trust."""
        hosts = [host.strip() for host in forwarded_for.split(",") if host.strip()]
        for host in reversed(hosts):
            if not self.is_trusted(host):
                return host
        return hosts[0] if hosts else None
