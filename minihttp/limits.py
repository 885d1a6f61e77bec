"""How much a client may send before the parser refuses, and with which status.

Every limit protects the server's memory and time from one connection, and
each one has its own answer, so the client learns what to fix:

    max_request_line     414 URI Too Long             (RFC 9112 §3, RFC 9110 §15.5.15)
    max_header_bytes     431 Request Header Fields Too Large   (RFC 6585 §5)
    max_headers          431
    max_trailer_bytes    431
    max_body_size        413 Content Too Large        (RFC 9110 §15.5.14)
    max_chunk_size_line  400 (a chunk extension that long is not a real client)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """How much a peer may send before the parser refuses; each has a status.

    The defaults follow long-standing servers: Apache's LimitRequestLine is
    8190 and LimitRequestFields 100; nginx's large_client_header_buffers
    (4 x 8 KiB) refuse a longer request line with 414; h11 allows a 16 KiB
    head, Node.js 16 KiB, Apache about 800 KiB (100 fields of 8190 bytes).
    64 KiB fits real browser requests, large cookies included, while bounding
    what one connection can make the server hold.
    """

    max_request_line: int = 8190  # longer: 414 URI Too Long
    max_header_bytes: int = 65536  # the whole head; larger: 431
    max_headers: int = 100  # more field lines: 431
    max_body_size: int | None = None  # None: unlimited (the server passes its own); over: 413
    max_trailer_bytes: int = 8192  # the trailer section of a chunked body; larger: 431
    max_chunk_size_line: int = 1024  # "1a;ext=value" line; longer: 400

    def __post_init__(self) -> None:
        for name in ("max_request_line", "max_header_bytes", "max_headers",
                     "max_trailer_bytes", "max_chunk_size_line"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")
        if self.max_body_size is not None and (
            not isinstance(self.max_body_size, int) or self.max_body_size < 0
        ):
            raise ValueError(
                f"Limits.max_body_size must be None (unlimited) or an int >= 0, "
                f"got {self.max_body_size!r}"
            )


DEFAULT_LIMITS = Limits()
