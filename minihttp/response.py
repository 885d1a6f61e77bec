"""Writing an HTTP/1.1 response: status line, headers, and body framing.

The reader needs to know where the response body ends, and the writer picks
how to tell it (RFC 9112 §6.3, in order):

    HEAD request, 1xx, 204, 304      no body at all, whatever the headers say
    the app gave Content-Length      exactly that many bytes follow
    the body was sent whole          Content-Length: its size (complete_response)
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

Like the parser, this is sans-I/O: every function returns the bytes to send
and writes nothing. It refuses header names that are not tokens and values
with CR, LF or NUL (LocalProtocolError): a newline taken from user input into
a header would let the user write headers of their own (response splitting).
Each (name, value) line is checked once per process and remembered
(minihttp.headers.outgoing_line): responses repeat the same lines.

Two ways to write a response, one rule set:

- complete_response(): the common case, a body known in full (the app sent
  its only body message). One call frames it by its length and returns head
  and body as one bytes object.
- ResponseWriter: everything else -- a body streamed in parts, HEAD, 1xx,
  204 and 304, the app's own Transfer-Encoding or Connection -- with the
  state that framing across several calls needs.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus

from minihttp.chunked import LAST_CHUNK, encode_chunk
from minihttp.errors import LocalProtocolError
from minihttp.headers import checked_lines, outgoing_line, split_list

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
        _set_date(second)
    return _date_cache[1]


def http_date_line() -> bytes:
    """`date: <now>\r\n`, the Date field line for a response sent now (cached per second)."""
    second = int(time.time())
    if _date_cache[0] != second:
        _set_date(second)
    return _date_cache[2]


def _set_date(second: int) -> None:
    date = formatdate(second, usegmt=True).encode("ascii")
    _date_cache[:] = [second, date, b"date: " + date + b"\r\n"]


def server_line(server_header: bytes) -> bytes:
    """The Server field line (RFC 9110 §10.2.4) naming `server_header`, checked like any field."""
    return outgoing_line(b"server", server_header)[1]


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


def field_lines(headers, lines: list[bytes]) -> dict[bytes, bytes]:
    """Append the app's field lines to `lines`; return the fields the server reads.

    Those are the framing fields (Content-Length, Transfer-Encoding,
    Connection), which the server writes itself once it has chosen the
    framing, and Date and Server, which it adds unless the app gave them.
    Raises LocalProtocolError for a name that is not a token or a value with a
    control character (outgoing_line), before anything is sent.
    """
    given: dict[bytes, bytes] = {}
    for name, value in headers:
        try:  # the lookup outgoing_line() starts with, without a call per line
            lowered, line = checked_lines[name, value]
        except (KeyError, TypeError):  # a line not seen yet, or not bytes at all
            lowered, line = outgoing_line(name, value)
        if lowered in SERVER_CHOSEN_FIELDS:
            if lowered in FRAMING_FIELDS:
                # Repeated lines are one list (RFC 9110 §5.3); _choose_framing judges it.
                given[lowered] = given[lowered] + b", " + value if lowered in given else value
                continue
            given[lowered] = value
        lines.append(line)
    return given


def complete_response(
    request, status: int, headers, body: bytes, server_line: bytes | None
) -> tuple[bytes, bool] | None:
    """A whole response at once, for a body known in full: (bytes, keep_alive).

    The common case -- the app sent its only body message -- needs none of
    ResponseWriter's state: the length is known, so the head says
    Content-Length even when the app gave none (no chunked coding for a body
    sent whole), and head and body leave in one bytes object. Returns None for
    what only ResponseWriter handles: HEAD, 204 and 304 (no body), 1xx,
    Transfer-Encoding or Connection from the app, and a Content-Length that
    does not match the body (ResponseWriter says what is wrong).
    """
    line = STATUS_LINES.get(status) if type(status) is int else None
    if line is None or status < 200 or status == 204 or status == 304 or request.method == b"HEAD":
        return None
    lines = [line]
    given = field_lines(headers, lines)
    if given:  # the app set a field the server reads: the unusual ones go to ResponseWriter
        if b"transfer-encoding" in given or b"connection" in given:
            return None
        length = given.get(b"content-length")
        if length is not None and not (length.isdigit() and int(length) == len(body)):
            return None
    lines.append(b"content-length: %d\r\n" % len(body))
    keep_alive = request.keep_alive
    end_final_head(lines, given, keep_alive, request.http_version, None, server_line)
    lines.append(body)
    return b"".join(lines), keep_alive


def end_final_head(
    lines: list[bytes], given: dict[bytes, bytes], keep_alive: bool, http_version: bytes,
    date_line: bytes | None, server_line: bytes | None,
) -> None:
    """Append what every final head ends with: Connection, Date, Server, the empty line.

    Connection says what happens next (RFC 9112 §9.6): `close` when the
    connection closes after this response, `keep-alive` to an HTTP/1.0 client
    that asked to keep it. Date (RFC 9110 §6.6.1; `date_line` None means the
    clock) and Server are added unless the app gave its own.
    """
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    elif http_version == b"1.0":
        lines.append(b"connection: keep-alive\r\n")
    if b"date" not in given:
        lines.append(date_line or http_date_line())
    if server_line is not None and b"server" not in given:
        lines.append(server_line)
    lines.append(b"\r\n")


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
        self.server_line = None if server_header is None else server_line(server_header)
        # None: the cached clock (tests pass a fixed date)
        self.date_line = outgoing_line(b"date", date)[1] if date else None
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
        lines = [status_line(status)]
        given = field_lines(headers, lines)
        self.status = status
        if status < 200:
            if status == 101:  # the connection now speaks another protocol
                self.keep_alive = False
                self._state = DONE
            lines.append(b"\r\n")
            return b"".join(lines)
        self._choose_framing(status, given, lines)
        end_final_head(lines, given, self.keep_alive, self.request.http_version,
                       self.date_line, self.server_line)
        self._state = BODY
        return b"".join(lines)

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
