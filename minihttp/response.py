"""Writing an HTTP/1.1 response: status line, headers, and body framing.

The reader needs to know where the response body ends, and the writer picks
how to tell it (RFC 9112 §6.3, in order):

    HEAD request, 1xx, 204, 304      no body at all, whatever the headers say
    the app gave Content-Length      exactly that many bytes follow
    HTTP/1.1 request, no length      Transfer-Encoding: chunked (RFC 9112 §7.1)
    HTTP/1.0 request, no length      the body ends when we close the connection

`Connection: close` is added whenever the connection will close after this
response (the client asked, the app asked, or the body is close-delimited),
so the client knows not to send another request (RFC 9112 §9.6). An
HTTP/1.0 client that asked for keep-alive gets `Connection: keep-alive`.

Date is required from a server with a clock (RFC 9110 §6.6.1); formatting it
costs more than the rest of a small response head, so it is computed once per
second and cached. Server names the software (RFC 9110 §10.2.4) and can be
turned off.

Like the parser, this is sans-I/O: every method returns the bytes to send and
writes nothing. It refuses header names that are not tokens and values with
CR, LF or NUL (LocalProtocolError): a newline taken from user input into a
header would let the user write headers of their own (response splitting).
The check costs one `translate` over the finished head, not one regex per
value, and each header name is checked once per process (names repeat).
"""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus

from minihttp.chunked import LAST_CHUNK, encode_chunk
from minihttp.errors import LocalProtocolError
from minihttp.headers import (
    check_outgoing_field,
    checked_names,
    is_safe_outgoing_block,
    lowercase_outgoing_name,
    split_list,
)

CONTINUE_RESPONSE = b"HTTP/1.1 100 Continue\r\n\r\n"

STATUS_LINES = {
    status.value: b"HTTP/1.1 %d %b\r\n" % (status.value, status.phrase.encode("ascii"))
    for status in HTTPStatus
}

# How the body of a response is delimited.
NO_BODY = "NO_BODY"
CONTENT_LENGTH = "CONTENT_LENGTH"
CHUNKED = "CHUNKED"
UNTIL_CLOSE = "UNTIL_CLOSE"

# The writer's states: head() moves HEAD to BODY (or keeps HEAD for 1xx),
# body(more=False) moves BODY to DONE; anything else is a LocalProtocolError.
HEAD, BODY, DONE = "HEAD", "BODY", "DONE"

# [second, its IMF-fixdate, its whole "date: ...\r\n" line]
_date_cache: list = [-1, b"", b""]


def http_date(now: float | None = None) -> bytes:
    """The IMF-fixdate for `now` (default: the clock), cached per whole second."""
    second = int(time.time() if now is None else now)
    if _date_cache[0] != second:
        date = formatdate(second, usegmt=True).encode("ascii")
        _date_cache[1:] = [date, b"date: " + date + b"\r\n"]
        _date_cache[0] = second
    return _date_cache[1]


def http_date_line() -> bytes:
    """`date: <now>\r\n`, the Date field line for a response sent now (cached per second)."""
    http_date()
    return _date_cache[2]


# The Server field line, built once per server name rather than per response.
server_lines = {b"minihttp": b"server: minihttp\r\n"}


def status_line(status: int) -> bytes:
    """`HTTP/1.1 200 OK\\r\\n`; an unknown code gets an empty reason, as RFC 9112 §4 allows."""
    line = STATUS_LINES.get(status) if type(status) is int else None
    if line is None:
        if type(status) is not int or not 100 <= status <= 999:
            raise LocalProtocolError(
                f"status {status!r} is not a three-digit HTTP status code (100-999)"
            )
        line = b"HTTP/1.1 %d \r\n" % status
    return line


class ResponseWriter:
    """Serialize one response to `request`; returns bytes, never writes them.

    Call `head(status, headers)` once (plus once per 1xx interim response),
    then `body(data, more=...)` until `more` is False. After the final body,
    `keep_alive` says whether the connection may carry another request.
    """

    __slots__ = (
        "request", "server_line", "date_line", "keep_alive",
        "status", "_state", "_framing", "_declared_length", "_sent_length",
    )

    def __init__(
        self, request, *, server_header: bytes | None = b"minihttp", date: bytes | None = None
    ) -> None:
        self.request = request
        if server_header is None:
            self.server_line = None
        else:
            self.server_line = (server_lines.get(server_header)
                                or b"server: " + server_header + b"\r\n")
        # None: the cached clock (tests pass a fixed date)
        self.date_line = b"date: " + date + b"\r\n" if date else None
        self.keep_alive = request.keep_alive
        self.status = 0
        self._state = HEAD
        self._framing = NO_BODY
        self._declared_length = 0
        self._sent_length = 0

    def head(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        """Return the status line and header block for `status` and `headers`.

        Raises LocalProtocolError for a bad status, an unsafe header, a
        second final head, or framing headers that contradict each other.
        """
        if self._state != HEAD:
            raise LocalProtocolError(
                f"head() called twice for one response (status {status} after {self.status}): "
                "send one response per request"
            )
        # This runs for every response, so the common cases of status_line(),
        # lowercase_outgoing_name() and http_date_line() (a dict lookup each) are
        # written in place below; each helper still handles everything else.
        line = STATUS_LINES.get(status) if type(status) is int else None
        lines = [line if line is not None else status_line(status)]
        given: dict[bytes, bytes] = {}
        for name, value in headers:
            lowered = checked_names.get(name) if type(name) is bytes else None
            if lowered is None:
                lowered = lowercase_outgoing_name(name)
            if type(value) is not bytes:
                check_outgoing_field(name, value)  # raises, naming the header
            if lowered in SERVER_CHOSEN_FIELDS:
                if lowered in FRAMING_FIELDS:
                    if not value.isdigit():  # digits (a Content-Length) are safe as they are
                        check_outgoing_field(name, value)
                    given[lowered] = given[lowered] + b", " + value if lowered in given else value
                    continue
                given[lowered] = value
            lines.append(name + b": " + value + b"\r\n")
        self.status = status
        if status < 200:
            if status == 101:  # the connection now speaks another protocol
                self.keep_alive = False
                self._state = DONE
            lines.append(b"\r\n")
            return self._checked_block(lines, headers)
        self._choose_framing(status, given, lines)
        if b"date" not in given:
            date_line = self.date_line
            if date_line is None:
                date_line = _date_cache[2] if _date_cache[0] == int(time.time()) else http_date_line()
            lines.append(date_line)
        if b"server" not in given and self.server_line is not None:
            lines.append(self.server_line)
        lines.append(b"\r\n")
        self._state = BODY
        return self._checked_block(lines, headers)

    @staticmethod
    def _checked_block(lines: list[bytes], headers: list[tuple[bytes, bytes]]) -> bytes:
        """Join the head's lines, refusing it if any value holds CR, LF, NUL or a control."""
        block = b"".join(lines)
        if not is_safe_outgoing_block(block, len(lines)):
            for name, value in headers:
                check_outgoing_field(name, value)  # raises, naming the first unsafe header
            raise LocalProtocolError(f"the response head {block[:200]!r} holds a control byte")
        return block

    def _choose_framing(self, status: int, given: dict[bytes, bytes], lines: list[bytes]) -> None:
        length = given.get(b"content-length")
        coding = given.get(b"transfer-encoding")
        if coding is not None:
            if split_list(coding) != [b"chunked"] or length is not None:
                raise LocalProtocolError(
                    f"Transfer-Encoding {coding!r} (with Content-Length {length!r}): only "
                    "'chunked' without Content-Length is supported; or leave both out and "
                    "let the server choose"
                )
        if length is not None and not length.isdigit():
            raise LocalProtocolError(
                f"Content-Length {length!r} must be one decimal number of bytes"
            )
        connection = given.get(b"connection")
        if connection is not None and b"close" in split_list(connection):
            self.keep_alive = False
        request = self.request
        if request.method == b"HEAD" or status == 204 or status == 304:
            self._framing = NO_BODY
            # A HEAD or 304 may state the length a GET would have had (RFC 9110 §8.6);
            # a 204 must not (RFC 9110 §8.6: MUST NOT), so it is dropped.
            if length is not None and status != 204:
                lines.append(b"content-length: " + length + b"\r\n")
        elif length is not None:
            self._framing = CONTENT_LENGTH
            self._declared_length = int(length)
            lines.append(b"content-length: " + length + b"\r\n")
        elif request.http_version == b"1.1":
            self._framing = CHUNKED
            lines.append(b"transfer-encoding: chunked\r\n")
        else:
            self._framing = UNTIL_CLOSE
            self.keep_alive = False
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        elif request.http_version == b"1.0":
            lines.append(b"connection: keep-alive\r\n")

    def body(self, data: bytes, *, more: bool) -> bytes:
        """Return `data` framed for the wire; with `more=False`, also the end of the body.

        Raises LocalProtocolError if called before head() or after the final
        body, on a body for a 204 or 304, or when the bytes sent do not add
        up to the Content-Length the head announced.
        """
        if self._state != BODY:
            raise LocalProtocolError(
                "body() called before head()" if self._state == HEAD
                else "body() called after the response ended (more=False was already sent)"
            )
        framing = self._framing
        if not more:
            self._state = DONE
        if framing == CHUNKED:
            return encode_chunk(data) + LAST_CHUNK if not more else encode_chunk(data)
        if framing == CONTENT_LENGTH:
            self._sent_length += len(data)
            if self._sent_length > self._declared_length or (
                not more and self._sent_length < self._declared_length
            ):
                self.keep_alive = False
                raise LocalProtocolError(
                    f"response declared Content-Length {self._declared_length} but "
                    f"{'at least ' if more else ''}{self._sent_length} bytes were sent: "
                    "send exactly the declared length, or leave Content-Length out"
                )
            return data
        if framing == NO_BODY:
            if data and self.request.method != b"HEAD":
                raise LocalProtocolError(
                    f"a {self.status} response has no body, but {len(data)} bytes were sent"
                )
            return b""
        return data  # UNTIL_CLOSE: the end of the body is the end of the connection


FRAMING_FIELDS = frozenset((b"content-length", b"transfer-encoding", b"connection"))
# The fields the server writes itself unless the app gave them.
SERVER_CHOSEN_FIELDS = FRAMING_FIELDS | {b"date", b"server"}


def simple_response(status: int, reason_text: str, *, keep_alive: bool = False) -> bytes:
    """A whole small text/plain response, for errors the server answers itself.

    For example `simple_response(400, "request line is malformed")` when the
    parser raised RemoteProtocolError, or 503 when the server is overloaded.
    """
    body = reason_text.encode("utf-8") + b"\n"
    connection = b"" if keep_alive else b"connection: close\r\n"
    return b"".join((
        status_line(status),
        b"content-type: text/plain; charset=utf-8\r\n",
        b"content-length: %d\r\n" % len(body),
        connection,
        b"date: " + http_date() + b"\r\n",
        b"server: minihttp\r\n\r\n",
        body,
    ))
