"""HTTP/1.1 requests in, responses out: a sans-I/O server-side protocol core.

RFC 9112 defines how HTTP messages look on a byte stream, RFC 9110 what they
mean. This module reads requests and writes responses without touching a
socket: `RequestParser.feed(bytes)` takes whatever the network delivered and
`next_event()` hands back what it means, one event at a time:

    RequestHead      method, target, version, headers, and what they imply
    BodyData         a piece of the body (a body may arrive in many pieces)
    EndOfMessage     the body is complete (with trailer fields, if chunked)
    NEED_DATA        nothing more can be said until more bytes arrive
    CONNECTION_CLOSED  the peer closed cleanly between requests

Any split of the byte stream gives the same events as feeding it whole, and
the same refusal for bad input (faults are answered in the order a reader fed
byte by byte would meet them); one byte at a time works too, without
rescanning: the parser remembers where its last search stopped. When the head is
complete it is parsed in one pass by precompiled regular expressions (C speed)
over the buffer: no per-byte Python loop.

The reader's states, a table as in h11 (spec words for names):

    state           input                             next state
    IDLE            a complete head, body by length   BODY
    IDLE            a complete head, chunked          CHUNK_SIZE
    IDLE            EOF with nothing buffered         CLOSED
    BODY            the last byte of the body         IDLE, or MUST_CLOSE
    CHUNK_SIZE      a size line "1a"                  CHUNK_DATA
    CHUNK_SIZE      the size line "0"                 TRAILERS
    CHUNK_DATA      the last byte of the chunk        CHUNK_DATA_END
    CHUNK_DATA_END  CRLF                              CHUNK_SIZE
    TRAILERS        the empty line                    IDLE, or MUST_CLOSE
    MUST_CLOSE      EOF                               CLOSED
    IDLE            take_unparsed() (after a 101)     SWITCHED_PROTOCOL
    any             invalid bytes, or EOF mid-message ERROR (and it stays there)

(`TRANSITIONS` below is this table in code. A state change goes through
`RequestParser._enter`, which refuses a pair that is not in it, except the two
that every request makes, IDLE -> BODY and back to IDLE: they are written out
in place (`_read_head`, `_end_message`), where the state they leave is fixed by
STATE_HANDLERS, and held to the table once, at import (`TRANSITIONS_IN_PLACE`).)

MUST_CLOSE follows a request that did not ask to keep the connection: bytes
after it are ignored, and NEED_DATA is returned until EOF. Pipelining works
because IDLE parses the next request from whatever is left in the buffer.

Message length (RFC 9112 §6.3), and the request-smuggling vectors refused.
When a front proxy and this server disagree on where a request ends, the
attacker's bytes after the boundary become a request of their own. So:

- Transfer-Encoding and Content-Length together: 400. Some parsers believe
  one, some the other (the classic CL.TE / TE.CL attacks); RFC 9112 §6.1
  allows rejecting it and requires closing the connection anyway.
- Transfer-Encoding whose last coding is not `chunked`: 400, because the
  body length cannot be determined (RFC 9112 §6.3 item 4 says MUST 400).
  `chunked` twice: 400 (RFC 9112 §7.1 forbids applying it twice). Codings
  before chunked (`gzip, chunked`): 501, we do not decode them.
- Obfuscated Transfer-Encoding (`xchunked`, `chunked\\x0b`, a value with a
  control character, `Transfer-Encoding : chunked`): 400, by the field syntax
  (minihttp.headers) and by comparing whole list members, never substrings.
  Names and members are compared case-insensitively, as RFC 9110 says.
- Transfer-Encoding in an HTTP/1.0 request: 400. HTTP/1.0 has no chunked
  coding, and RFC 9112 §6.1 says to treat such framing as faulty.
- Content-Length that is not plain digits (`+5`, `5 5`, `0x5`, `5.0`): 400.
  Repeated Content-Length lines or lists (`5, 5`) are accepted only when all
  values are equal (RFC 9110 §8.6 allows this); differing values: 400.
- Content-Length with more than 18 digits: 413. Python would not overflow,
  but a proxy written in C might, and no body that large is real.
- Trailer fields (after a chunked body) are handed over separately in
  `EndOfMessage.trailers`, never merged into the head (RFC 9110 §6.5.1), so
  a Content-Length or Transfer-Encoding sent as a trailer frames nothing.

Other rules kept (minihttp.request_head applies them): request-target forms
(RFC 9112 §3.2); only HTTP/1.0 and 1.1, any other version 505 (RFC 9110 §2.5
would let a server read "HTTP/1.2" as 1.1, but no such version exists, so we
answer 505 rather than guess); Host (§3.2: exactly one in 1.1, else 400);
keep-alive (§9.3); Expect: 100-continue (RFC 9110 §10.1.1); limits answered
414, 431 and 413 (see `Limits`). Empty lines before a request line are
skipped, as §2.2 says a server SHOULD.

Bare LF (a line ending in LF without CR) is refused with 400. RFC 9112 §2.2
says a recipient MAY accept it; we do not, because a front proxy that accepts
bare LF where we do not (or the reverse) would see different headers, and
every real client sends CRLF. Bare CR is refused as the RFC requires.

The pieces, one idea per module, all re-exported here so that
`minihttp.http11` is the one import a server needs:

    minihttp.events        the event classes and sentinels
    minihttp.limits        Limits: how much a peer may send, and the status past it
    minihttp.headers       field syntax: what a valid header line is
    minihttp.request_head  what a head means: Host, body length, keep-alive
    minihttp.chunked       the chunked coding's size lines, and the encoder
    minihttp.response      ResponseWriter and simple_response (the writing side)
    minihttp.errors        RemoteProtocolError and LocalProtocolError
"""

from __future__ import annotations

import re

from minihttp.chunked import parse_chunk_size_line
from minihttp.errors import LocalProtocolError, RemoteProtocolError
from minihttp.events import CONNECTION_CLOSED, NEED_DATA, BodyData, EndOfMessage
from minihttp.headers import (
    FIELD_LINE,
    FIELD_LINE_SPLIT_PATTERN,
    TOKEN,
    maybe_split_head,
    parse_field_lines,
)
from minihttp.limits import DEFAULT_LIMITS, Limits
from minihttp.request_head import RequestHead, describe_request_line, interpret_head
from minihttp.response import CONTINUE_RESPONSE, ResponseWriter, simple_response

__all__ = [
    "CONNECTION_CLOSED",
    "CONTINUE_RESPONSE",
    "NEED_DATA",
    "BodyData",
    "EndOfMessage",
    "Limits",
    "LocalProtocolError",
    "RemoteProtocolError",
    "RequestHead",
    "RequestParser",
    "ResponseWriter",
    "simple_response",
]




IDLE = "IDLE"
BODY = "BODY"
CHUNK_SIZE = "CHUNK_SIZE"
CHUNK_DATA = "CHUNK_DATA"
CHUNK_DATA_END = "CHUNK_DATA_END"
TRAILERS = "TRAILERS"
MUST_CLOSE = "MUST_CLOSE"
CLOSED = "CLOSED"
ERROR = "ERROR"
SWITCHED_PROTOCOL = "SWITCHED_PROTOCOL"

# The transitions of the table in the module docstring; ERROR is reachable from
# anywhere and is entered by next_event() itself.
TRANSITIONS = {
    IDLE: {BODY, CHUNK_SIZE, CLOSED, SWITCHED_PROTOCOL},
    BODY: {IDLE, MUST_CLOSE},
    CHUNK_SIZE: {CHUNK_DATA, TRAILERS},
    CHUNK_DATA: {CHUNK_DATA_END},
    CHUNK_DATA_END: {CHUNK_SIZE},
    TRAILERS: {IDLE, MUST_CLOSE},
    MUST_CLOSE: {CLOSED},
    CLOSED: set(),
    ERROR: set(),
    SWITCHED_PROTOCOL: set(),
}

# The state changes that every request makes, written out in place instead of
# through _enter (see the module docstring); held to the table here, at import.
TRANSITIONS_IN_PLACE = {(IDLE, BODY), (BODY, IDLE), (TRAILERS, IDLE)}
if any(after not in TRANSITIONS[before] for before, after in TRANSITIONS_IN_PLACE):
    raise LocalProtocolError("a state change made in place is not in TRANSITIONS")

# States in which feed() keeps no bytes.
NOT_READING = frozenset((MUST_CLOSE, ERROR, SWITCHED_PROTOCOL))

# (`++`, `*+`: possessive, Python 3.11+. Each part ends where the next must
# begin, so giving bytes back could never help a match; saying so spares the
# regex engine its backtracking bookkeeping: wrk GET -0.7k instructions per head,
# browser GET -4.6k.)
REQUEST_LINE = rb"(" + TOKEN + rb"+) ([\x21-\x7e]++) HTTP/([0-9]\.[0-9])"
REQUEST_LINE_PATTERN = re.compile(REQUEST_LINE)
# A whole plain head in one match: the request line (groups: method, target,
# version), the field lines (group 4) and the empty line that ends the head.
# Each field line is a token name, a colon and a value with no control byte
# that does not end in whitespace (FIELD_LINE), so a match proves what the
# line-by-line check would, in one C call; anything else is left to
# _find_head_carefully. A value holds no CR, so the repetition cannot run past
# the first empty line.
HEAD_PATTERN = re.compile(REQUEST_LINE + rb"((?:\r\n" + FIELD_LINE + rb")*+)\r\n\r\n")
# A LF without a CR before it, or a CR followed by anything but LF.
BARE_LINE_ENDING_PATTERN = re.compile(rb"(?<!\r)\n|\r[^\n]")


class RequestParser:
    """Turn the bytes a client sends into request events (the server's reader).

    Call `feed(data)` with what the socket gave, then `next_event()` until it
    returns NEED_DATA. Errors in the peer's bytes raise RemoteProtocolError
    carrying the status to answer; after one, the parser stays in ERROR and
    raises the same error again.
    """

    __slots__ = (
        "limits", "_buffer", "_start", "_search_from", "_request_line_complete", "_eof",
        "_state", "_remaining", "_body_size", "_keep_alive", "_error",
    )

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits if limits is not None else DEFAULT_LIMITS
        self._buffer: bytes | bytearray = b""
        self._start = 0  # where the unparsed bytes begin in _buffer
        self._search_from = 0  # where the search for a line ending resumes (>= _start)
        self._request_line_complete = False  # seen the CRLF ending the request line (414)
        self._eof = False
        self._state = IDLE
        self._remaining = 0  # bytes left of the body (BODY) or of the chunk (CHUNK_DATA)
        self._body_size = 0  # chunked body bytes so far, for max_body_size
        self._keep_alive = True  # may another request follow the current one
        self._error: RemoteProtocolError | None = None

    @property
    def their_state(self) -> str:
        """The client's state in the table of the module docstring."""
        return self._state

    @property
    def buffered_bytes(self) -> int:
        """Bytes fed but not yet parsed: the server stops reading above its cap."""
        return len(self._buffer) - self._start

    def feed(self, data: bytes) -> None:
        """Add bytes received from the client; b"" means the client sent EOF.

        Raises LocalProtocolError if called with data after EOF.
        """
        if self._eof or not data or self._state in NOT_READING:
            self._feed_unusual(data)
            return
        buffer = self._buffer
        start = self._start
        if start == len(buffer):
            self._buffer = data if type(data) is bytes else bytes(data)
            self._start = self._search_from = 0
            return
        if type(buffer) is bytes:
            buffer = bytearray(memoryview(buffer)[start:])
        elif start:
            del buffer[:start]  # CPython makes front deletion of a bytearray cheap
        buffer += data
        self._buffer = buffer
        self._search_from = max(0, self._search_from - start)
        self._start = 0

    def _feed_unusual(self, data: bytes) -> None:
        if self._eof:
            if data:
                raise LocalProtocolError("feed() got data after EOF (b''): the peer already closed")
        elif self._state is SWITCHED_PROTOCOL:
            self._switched_protocol()
        elif not data:
            self._eof = True
        # else MUST_CLOSE or ERROR: nothing more is read from this peer

    def next_event(self):
        """Return the next event: RequestHead, BodyData, EndOfMessage, NEED_DATA
        or CONNECTION_CLOSED. Raises RemoteProtocolError on invalid input.
        """
        try:
            return STATE_HANDLERS[self._state](self)
        except RemoteProtocolError as error:
            self._error = error
            self._state = ERROR
            raise

    def _enter(self, state: str) -> None:
        if state not in TRANSITIONS[self._state]:
            raise LocalProtocolError(  # a bug in this module, never the peer's fault
                f"parser cannot go from {self._state} to {state}"
            )
        self._state = state
        self._search_from = self._start
        self._request_line_complete = False

    def take_unparsed(self) -> bytes:
        """Hand over the bytes fed but not parsed, and stop parsing HTTP.

        For protocol upgrades (RFC 9110 §7.8): after the server answers an
        `Upgrade: websocket` request with 101 Switching Protocols, whatever the
        client sent after the request's end belongs to the new protocol. Call
        this once the request's EndOfMessage has been returned; afterwards
        feed() and next_event() raise LocalProtocolError.
        """
        if self._state is not IDLE:
            raise LocalProtocolError(
                f"take_unparsed() in state {self._state}: call it after the request's "
                "EndOfMessage, when the parser is IDLE"
            )
        data = bytes(self._buffer[self._start:])
        self._buffer = b""
        self._start = 0
        self._enter(SWITCHED_PROTOCOL)
        return data

    def _switched_protocol(self):
        raise LocalProtocolError(
            "the connection switched protocols (take_unparsed() was called): "
            "its bytes are no longer HTTP/1.1"
        )

    def _repeat_error(self):
        raise self._error

    # -- IDLE: the request line and header fields ---------------------------------

    def _read_head(self):
        buffer = self._buffer
        start = self._start
        if start == len(buffer):  # between requests: the usual case, nothing to check
            if self._eof:
                self._enter(CLOSED)
                return CONNECTION_CLOSED
            return NEED_DATA
        limits = self.limits
        # On the first look at a head, one match checks and cuts all of it (a
        # later look would rescan what arrived before, so it searches carefully).
        match = HEAD_PATTERN.match(buffer, start) if self._search_from == start else None
        if match is not None:
            end = match.end()
            if end - start > limits.max_header_bytes or (
                end - start > limits.max_request_line  # (no call for the usual short head)
                and match.end(3) - start > limits.max_request_line
            ):
                match = None  # the careful path finds which limit and answers
        if match is None:
            found = self._find_head_carefully(buffer, start, limits)
            if found is NEED_DATA or found is CONNECTION_CLOSED:
                return found
            method, target, version, headers, end = found
        else:
            method, target, version, field_lines = match.groups()
            # The split gives ["", name, value, name, value, ...]; zip takes a name
            # through map() and then its value from the same iterator.
            pairs = iter(FIELD_LINE_SPLIT_PATTERN.split(field_lines))
            next(pairs)
            headers = list(zip(map(bytes.lower, pairs), pairs))  # noqa: B905
        if len(headers) > limits.max_headers:
            raise RemoteProtocolError(
                431, f"request has {len(headers)} header lines, over the limit of "
                f"{limits.max_headers}: send fewer headers"
            )
        self._start = end
        head = interpret_head(method, target, version, headers, limits.max_body_size)
        self._keep_alive = head.keep_alive
        if head.chunked:
            self._body_size = 0
            self._enter(CHUNK_SIZE)
        else:
            self._remaining = head.content_length or 0
            # IDLE -> BODY in place (see the module docstring); with the change back in
            # _end_message, two _enter calls fewer: -1.7k instructions a request
            self._state = BODY
        return head

    def _find_head_carefully(self, buffer, start: int, limits: Limits):
        """(method, target, version, headers, end) of a complete head, or an event.

        For what HEAD_PATTERN did not take: a head that is incomplete, has
        empty lines before it, a value with trailing whitespace, or a fault.
        The event is NEED_DATA, or CONNECTION_CLOSED after empty lines and EOF.
        """
        if buffer[start:start + 2] == b"\r\n":  # (a slice is cheaper than startswith's arguments)
            start = self._skip_empty_lines(buffer, start)
        end = buffer.find(b"\r\n\r\n", self._search_from)
        if end == -1:
            return self._head_incomplete(buffer, start)
        split = maybe_split_head(buffer[start:end])
        if split is None:
            split = _parse_head_strictly(buffer, start, end, limits)
        request_line, headers = split
        match = REQUEST_LINE_PATTERN.fullmatch(request_line)
        if (match is None or end + 4 - start > limits.max_header_bytes
                or len(request_line) > limits.max_request_line):
            raise _invalid_head(buffer, start, start + len(request_line), end, limits)
        return (*match.groups(), headers, end + 4)

    def _skip_empty_lines(self, buffer, start: int) -> int:
        # RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF)
        # received before the request line; some clients send one after a POST body.
        while buffer.startswith(b"\r\n", start):
            start += 2
        self._start = start
        self._search_from = max(self._search_from, start)
        return start

    def _head_incomplete(self, buffer, start: int):
        size = len(buffer) - start
        if size == 0:  # only empty lines so far
            if self._eof:
                self._enter(CLOSED)
                return CONNECTION_CLOSED
            return NEED_DATA
        limits = self.limits
        resume = max(start, self._search_from - 1)  # only bytes not yet looked at
        if not self._request_line_complete and buffer.find(
            b"\r\n", resume, start + limits.max_request_line + 2
        ) != -1:
            self._request_line_complete = True
        fault = _first_head_fault(
            buffer, start, len(buffer), self._request_line_complete, resume, limits
        )
        if fault is not None:
            raise fault
        if self._eof:
            raise RemoteProtocolError(
                400, f"connection closed after {size} bytes of an incomplete request head"
            )
        self._search_from = max(start, len(buffer) - 3)
        return NEED_DATA

    # -- BODY: a body of known length (Content-Length, or none at all) ----------

    def _read_fixed_body(self):
        remaining = self._remaining
        if remaining == 0:
            return self._end_message([])
        buffer = self._buffer
        start = self._start
        available = len(buffer) - start
        if available == 0:
            if self._eof:
                raise RemoteProtocolError(
                    400, f"connection closed with {remaining} bytes of the body still to come "
                    "(incomplete body: the Content-Length promised more)"
                )
            return NEED_DATA
        take = available if available < remaining else remaining
        data = buffer if start == 0 and take == len(buffer) else buffer[start:start + take]
        if type(data) is not bytes:
            data = bytes(data)
        self._start = start + take
        self._remaining = remaining - take
        return BodyData(data)

    def _end_message(self, trailers: list[tuple[bytes, bytes]]) -> EndOfMessage:
        if self._keep_alive:
            # BODY or TRAILERS -> IDLE in place, as _enter would (see the module docstring)
            self._state = IDLE
            self._request_line_complete = False
            if self._start == len(self._buffer):
                # Everything read is parsed: let go of the last bytes object, so an idle
                # keep-alive connection does not pin the memory of its last request.
                self._buffer = b""
                self._start = self._search_from = 0
            else:
                self._search_from = self._start
        else:
            self._enter(MUST_CLOSE)
            self._buffer = b""
            self._start = 0
        return EndOfMessage(trailers)

    def _after_closing_request(self):
        if self._eof:
            self._enter(CLOSED)
            return CONNECTION_CLOSED
        return NEED_DATA

    def _closed(self):
        return CONNECTION_CLOSED

    # -- CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILERS: chunked bodies -------

    def _read_chunk_size(self):
        buffer = self._buffer
        start = self._start
        line_end = buffer.find(b"\r\n", max(start, self._search_from))
        limit = self.limits.max_chunk_size_line
        if line_end == -1 or line_end - start > limit:
            if len(buffer) - start > limit:
                raise RemoteProtocolError(
                    400, f"chunk size line is longer than {limit} bytes: "
                    "chunk extensions that long are not accepted"
                )
            return self._chunk_part_incomplete(buffer, start, "chunk size line", 1)
        size = parse_chunk_size_line(buffer, start, line_end)
        self._start = line_end + 2
        if size == 0:
            self._enter(TRAILERS)
            return self._read_trailers()
        self._body_size += size
        maximum = self.limits.max_body_size
        if maximum is not None and self._body_size > maximum:
            raise _body_too_large(maximum)
        self._remaining = size
        self._enter(CHUNK_DATA)
        return self._read_chunk_data()

    def _chunk_part_incomplete(self, buffer, start: int, what: str, overlap: int):
        _refuse_bare_line_ending(buffer, max(start, self._search_from - 1), what)
        if self._eof:
            raise RemoteProtocolError(
                400, f"connection closed in the middle of a {what} (incomplete chunked body)"
            )
        self._search_from = max(start, len(buffer) - overlap)
        return NEED_DATA

    def _read_chunk_data(self):
        buffer = self._buffer
        start = self._start
        available = len(buffer) - start
        if available == 0:
            if self._eof:
                raise RemoteProtocolError(
                    400, "connection closed in the middle of a chunk (incomplete chunked body)"
                )
            return NEED_DATA
        remaining = self._remaining
        take = available if available < remaining else remaining
        data = buffer[start:start + take]
        if type(data) is not bytes:
            data = bytes(data)
        self._start = start + take
        self._remaining = remaining - take
        if self._remaining == 0:
            self._enter(CHUNK_DATA_END)
        return BodyData(data)

    def _read_chunk_data_end(self):
        buffer = self._buffer
        start = self._start
        ending = buffer[start:start + 2]
        if ending != b"\r\n":
            if len(ending) == 2 or ending not in (b"", b"\r"):
                raise RemoteProtocolError(
                    400, f"chunk data must be followed by CRLF, got {bytes(ending)!r}: "
                    "the chunk size does not match the data sent"
                )
            return self._chunk_part_incomplete(buffer, start, "chunk", 2)
        self._start = start + 2
        self._enter(CHUNK_SIZE)
        return self._read_chunk_size()

    def _read_trailers(self):
        buffer = self._buffer
        start = self._start
        if buffer.startswith(b"\r\n", start):
            self._start = start + 2
            return self._end_message([])
        end = buffer.find(b"\r\n\r\n", max(start, self._search_from))
        limit = self.limits.max_trailer_bytes
        if end == -1 or end + 4 - start > limit:
            if len(buffer) - start > limit:
                # A bare CR or LF within the first `limit` bytes is what a reader
                # fed byte by byte meets first, so it is the answer here too.
                _refuse_bare_line_ending(buffer, start, "trailer section", start + limit)
                raise RemoteProtocolError(
                    431, f"chunked trailer section is over {limit} bytes: send fewer trailers"
                )
            return self._chunk_part_incomplete(buffer, start, "trailer section", 3)
        trailers = parse_field_lines(buffer, start, end + 2, what="trailer")
        if len(trailers) > self.limits.max_headers:
            raise RemoteProtocolError(
                431, f"request has {len(trailers)} trailer lines, over the limit of "
                f"{self.limits.max_headers}"
            )
        self._start = end + 4
        return self._end_message(trailers)


# The method that reads in each state: next_event() calls the one for the
# current state. (A table of plain functions rather than a bound method kept
# on the parser: a bound method would point back at its parser, a reference
# cycle that leaves every parser for the garbage collector to free.)
STATE_HANDLERS = {
    IDLE: RequestParser._read_head,
    BODY: RequestParser._read_fixed_body,
    CHUNK_SIZE: RequestParser._read_chunk_size,
    CHUNK_DATA: RequestParser._read_chunk_data,
    CHUNK_DATA_END: RequestParser._read_chunk_data_end,
    TRAILERS: RequestParser._read_trailers,
    MUST_CLOSE: RequestParser._after_closing_request,
    CLOSED: RequestParser._closed,
    ERROR: RequestParser._repeat_error,
    SWITCHED_PROTOCOL: RequestParser._switched_protocol,
}


def _refuse_bare_line_ending(buffer, start: int, what: str, end: int | None = None) -> None:
    bare = BARE_LINE_ENDING_PATTERN.search(buffer, start, len(buffer) if end is None else end)
    if bare is not None:
        raise _bare_line_ending(bare, what)


def _bare_line_ending(bare: re.Match, what: str) -> RemoteProtocolError:
    kind = "LF without CR" if bare.group().endswith(b"\n") else "CR without LF"
    return RemoteProtocolError(
        400, f"{what} contains a bare {kind} at byte {bare.start()}: "
        "HTTP/1.1 lines end with CRLF (RFC 9112 §2.2)"
    )


def _parse_head_strictly(buffer, start: int, end: int, limits: Limits):
    """(request line, headers) the slow way, for a head maybe_split_head() declined.

    The request line and the sizes are checked before the field lines, so that
    a head with faults in both gets the same answer as on the fast path.
    """
    line_end = buffer.find(b"\r\n", start)
    if (REQUEST_LINE_PATTERN.fullmatch(buffer, start, line_end) is None
            or end + 4 - start > limits.max_header_bytes
            or line_end - start > limits.max_request_line):
        raise _invalid_head(buffer, start, line_end, end, limits)
    headers = parse_field_lines(buffer, line_end + 2, end + 2) if line_end != end else []
    return bytes(buffer[start:line_end]), headers


def _invalid_head(buffer, start: int, line_end: int, end: int, limits: Limits):
    """The error for a complete head that failed a check (see _first_head_fault)."""
    line_complete = line_end - start <= limits.max_request_line
    fault = _first_head_fault(buffer, start, end + 4, line_complete, start, limits)
    if fault is not None:
        return fault
    return RemoteProtocolError(400, describe_request_line(bytes(buffer[start:line_end])))


def _first_head_fault(
    buffer, start: int, stop: int, line_complete: bool, unchecked: int, limits: Limits
) -> RemoteProtocolError | None:
    """The fault in `buffer[start:stop]` that a reader fed byte by byte meets first.

    Such a reader meets a head's faults in stream order: a request line with no
    CRLF in its first max_request_line + 2 bytes (414), a head over
    max_header_bytes (431), a bare CR or LF as soon as it arrives (400). The
    same bytes in bigger pieces must get the same answer, so the candidates
    are ordered by how many bytes had arrived when each showed. Bytes before
    `unchecked` were checked by an earlier call.
    """
    faults = []  # (bytes received when the fault shows, check order, error)
    if not line_complete and stop - start >= limits.max_request_line + 2:
        faults.append((limits.max_request_line + 2, 0, _request_line_too_long(limits)))
    if stop - start > limits.max_header_bytes:
        faults.append((limits.max_header_bytes + 1, 1, _head_too_large(limits)))
    bare = BARE_LINE_ENDING_PATTERN.search(buffer, unchecked, stop)
    if bare is not None:
        faults.append((bare.end() - start, 2, _bare_line_ending(bare, "request head")))
    if not faults:
        return None
    return min(faults, key=lambda fault: fault[:2])[2]


def _head_too_large(limits: Limits) -> RemoteProtocolError:
    return RemoteProtocolError(
        431, f"request head is over {limits.max_header_bytes} bytes: send fewer "
        "or smaller headers (cookies are the usual cause)"
    )


def _request_line_too_long(limits: Limits) -> RemoteProtocolError:
    return RemoteProtocolError(
        414, f"request line is longer than {limits.max_request_line} bytes: "
        "shorten the URL (move large data into the body)"
    )


def _body_too_large(maximum: int) -> RemoteProtocolError:
    return RemoteProtocolError(
        413, f"request body is larger than this server's limit of {maximum} bytes"
    )
