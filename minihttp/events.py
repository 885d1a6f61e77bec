"""The events minihttp.http11's parser hands out, one per next_event() call.

    RequestHead        the request line and headers (minihttp.request_head)
    BodyData           a piece of the body, in arrival order
    EndOfMessage       the request is complete; trailer fields if it was chunked
    NEED_DATA          nothing more until more bytes are fed
    CONNECTION_CLOSED  the client closed cleanly between requests

They are plain objects with `__slots__`, made once per request or per piece
of body, so they stay small. The two sentinels are compared with `is`.
"""

from __future__ import annotations


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEED_DATA = _Sentinel("NEED_DATA")
CONNECTION_CLOSED = _Sentinel("CONNECTION_CLOSED")


class BodyData:
    """A piece of a request body, in arrival order."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __eq__(self, other: object) -> bool:
        return type(other) is BodyData and other.data == self.data

    def __repr__(self) -> str:
        return f"BodyData({self.data!r})"


class EndOfMessage:
    """The request is complete; `trailers` are the chunked trailer fields, if any."""

    __slots__ = ("trailers",)

    def __init__(self, trailers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.trailers = trailers if trailers is not None else []

    def __eq__(self, other: object) -> bool:
        return type(other) is EndOfMessage and other.trailers == self.trailers

    def __repr__(self) -> str:
        return f"EndOfMessage(trailers={self.trailers!r})"
