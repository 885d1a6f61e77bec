"""Laws of minihttp.http11's request parser, checked with hypothesis.

1. Any valid request (fixed length or chunked, with trailers), serialized and
   cut into random pieces, parses back to what was serialized.
2. Arbitrary bytes, and valid requests with random damage, only ever give
   events or RemoteProtocolError: never another exception, never a hang.
3. Pipelined requests, cut anywhere, parse to the same requests in order.
4. Whether a (possibly damaged) request is refused, and with which status,
   does not depend on how its bytes were split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minihttp.errors import RemoteProtocolError
from minihttp.http11 import (
    CONNECTION_CLOSED,
    NEED_DATA,
    BodyData,
    EndOfMessage,
    Limits,
    RequestHead,
    RequestParser,
)

TCHAR = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PCHAR = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@%"
VALUE_BYTES = bytes([*range(0x21, 0x7F), *range(0x80, 0x100)])
# Names the parser gives a meaning to; generated headers avoid them so the
# request stays valid, and the framing fields are added by the serializer.
RESERVED_NAMES = {b"host", b"content-length", b"transfer-encoding", b"connection", b"expect"}

settings.register_profile("http11", deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Request:
    method: bytes
    target: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]  # as serialized: original case, includes host
    body: bytes
    chunks: list[bytes] | None = None  # None: Content-Length framing
    trailers: list[tuple[bytes, bytes]] = field(default_factory=list)
    extensions: list[bytes] = field(default_factory=list)

    def serialize(self) -> bytes:
        lines = [self.method + b" " + self.target + b" HTTP/" + self.version]
        lines += [name + b": " + value for name, value in self.headers]
        if self.chunks is None:
            lines.append(b"Content-Length: %d" % len(self.body))
            return b"\r\n".join(lines) + b"\r\n\r\n" + self.body
        lines.append(b"Transfer-Encoding: chunked")
        body = b""
        for index, chunk in enumerate(self.chunks):
            extension = self.extensions[index % len(self.extensions)] if self.extensions else b""
            body += b"%x%b\r\n%b\r\n" % (len(chunk), extension, chunk)
        body += b"0\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in self.trailers) + b"\r\n"
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def expected_headers(self) -> list[tuple[bytes, bytes]]:
        framing = (b"content-length", b"%d" % len(self.body)) if self.chunks is None else (
            b"transfer-encoding", b"chunked")
        return [(name.lower(), value) for name, value in self.headers] + [framing]


tokens = st.binary(min_size=1, max_size=12).map(
    lambda raw: bytes(TCHAR[byte % len(TCHAR)] for byte in raw))
# The methods llhttp (httptools) knows; it refuses any other token.
STANDARD_METHODS = [b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD", b"OPTIONS", b"PURGE"]
methods = st.one_of(st.sampled_from(STANDARD_METHODS),
                    tokens.filter(lambda token: token != b"CONNECT"))
paths = st.binary(max_size=40).map(lambda raw: bytes(PCHAR[byte % len(PCHAR)] for byte in raw))
origin_forms = st.builds(lambda path, query: b"/" + path + (b"?" + query if query else b""),
                         paths, st.one_of(st.none(), paths))
# absolute-form, as clients send to proxies (RFC 9112 §3.2.2)
absolute_forms = st.builds(lambda scheme, origin: scheme + b"://example.com:8080" + origin,
                           st.sampled_from([b"http", b"https"]), origin_forms)
targets = st.one_of(origin_forms, absolute_forms)
field_values = st.one_of(
    st.just(b""),
    st.lists(st.binary(min_size=1, max_size=15).map(
        lambda raw: bytes(VALUE_BYTES[byte % len(VALUE_BYTES)] for byte in raw)),
        min_size=1, max_size=4).map(b" ".join),
)
fields = st.lists(
    st.tuples(tokens.filter(lambda name: name.lower() not in RESERVED_NAMES), field_values),
    max_size=12,
)
hosts = st.sampled_from([b"example.com", b"localhost:8000", b"[::1]:443", b"127.0.0.1", b""])
extensions = st.lists(st.sampled_from([b";a", b";name=value", b' ; q="x y"', b";k=v;l"]),
                      max_size=2)


@st.composite
def requests(draw, methods=methods) -> Request:
    version = draw(st.sampled_from([b"1.1", b"1.0"]))
    headers = draw(fields)
    headers.insert(draw(st.integers(0, len(headers))), (b"Host", draw(hosts)))
    body = draw(st.binary(max_size=200))
    chunked = version == b"1.1" and draw(st.booleans())
    if not chunked:
        return Request(draw(methods), draw(targets), version, headers, body)
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=5)))
    chunks = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    chunks = [chunk for chunk in chunks if chunk]
    return Request(draw(methods), draw(targets), version, headers, body, chunks,
                   draw(fields), draw(extensions))


def split_randomly(data: bytes, draw) -> list[bytes]:
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=20))))
    return [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True)
            if end > start]


def parse_pieces(pieces: list[bytes]) -> list:
    """Feed the pieces then EOF; return the events with BodyData merged."""
    parser = RequestParser()
    events: list = []
    for piece in [*pieces, b""]:
        parser.feed(piece)
        while True:
            event = parser.next_event()
            if event is NEED_DATA or event is CONNECTION_CLOSED:
                break
            if type(event) is BodyData and events and type(events[-1]) is BodyData:
                events[-1] = BodyData(events[-1].data + event.data)
            else:
                events.append(event)
    return events


def expected_events(request: Request) -> list:
    keep_alive = request.version == b"1.1"
    head = RequestHead(
        request.method, request.target, request.version, request.expected_headers(),
        keep_alive=keep_alive, expect_continue=False,
        content_length=None if request.chunks is not None else len(request.body),
        chunked=request.chunks is not None,
    )
    body = [BodyData(request.body)] if request.body else []
    trailers = [(name.lower(), value) for name, value in request.trailers]
    return [head, *body, EndOfMessage(trailers)]


@settings(settings.get_profile("http11"), max_examples=300)
@given(request=requests(), data=st.data())
def test_any_valid_request_survives_serialize_split_and_parse(request, data):
    pieces = split_randomly(request.serialize(), data.draw)
    assert parse_pieces(pieces) == expected_events(request)


@settings(settings.get_profile("http11"), max_examples=100)
@given(pipeline=st.lists(requests().filter(lambda r: r.version == b"1.1"), min_size=1,
                         max_size=4), data=st.data())
def test_pipelined_requests_parse_to_the_same_requests_in_order(pipeline, data):
    wire = b"".join(request.serialize() for request in pipeline)
    expected = [event for request in pipeline for event in expected_events(request)]
    assert parse_pieces(split_randomly(wire, data.draw)) == expected


def assert_only_events_or_remote_errors(pieces: list[bytes]) -> None:
    """Run the parser over `pieces` then EOF, with a bound on steps so a hang fails."""
    parser = RequestParser()
    steps_left = 10 * sum(len(piece) for piece in pieces) + 20
    try:
        for piece in [*pieces, b""]:
            parser.feed(piece)
            while True:
                steps_left -= 1
                assert steps_left > 0, "the parser kept returning events without consuming input"
                event = parser.next_event()
                if event is NEED_DATA or event is CONNECTION_CLOSED:
                    break
                assert type(event) in (RequestHead, BodyData, EndOfMessage)
    except RemoteProtocolError as error:
        assert 400 <= error.status_code <= 599 and error.reason
        return
    assert parser.their_state in ("CLOSED", "MUST_CLOSE")


@settings(settings.get_profile("http11"), max_examples=300)
@given(raw=st.binary(max_size=300), data=st.data())
def test_arbitrary_bytes_give_only_events_or_remote_protocol_errors(raw, data):
    assert_only_events_or_remote_errors(split_randomly(raw, data.draw))


@settings(settings.get_profile("http11"), max_examples=300)
@given(request=requests(), data=st.data())
def test_damaged_valid_requests_give_only_events_or_remote_protocol_errors(request, data):
    wire = bytearray(request.serialize())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(wire)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = data.draw(st.sampled_from([0, 9, 10, 13, 32, 44, 48, 58, 59, 70, 127, 255]))
        if action == "insert":
            wire.insert(position, byte)
        elif position < len(wire):
            if action == "delete":
                del wire[position]
            else:
                wire[position] = byte
    assert_only_events_or_remote_errors(split_randomly(bytes(wire), data.draw))


def outcome(pieces: list[bytes], limits: Limits | None = None) -> tuple:
    """The events' kinds, or the refusal's status, after feeding `pieces` and EOF."""
    parser = RequestParser(limits)
    kinds: list[str] = []
    try:
        for piece in [*pieces, b""]:
            parser.feed(piece)
            while True:
                event = parser.next_event()
                if event is NEED_DATA or event is CONNECTION_CLOSED:
                    break
                if type(event) is not BodyData:  # body pieces depend on the split
                    kinds.append(type(event).__name__)
    except RemoteProtocolError as error:
        return ("refused", error.status_code, kinds)
    return ("accepted", kinds)


# Small limits, so that several of them, and bare line endings, meet in one input.
SMALL_LIMITS = Limits(max_request_line=40, max_header_bytes=160, max_headers=6,
                      max_trailer_bytes=40, max_chunk_size_line=24, max_body_size=150)


@settings(settings.get_profile("http11"), max_examples=300)
@given(request=requests(), limits=st.sampled_from([None, SMALL_LIMITS]), data=st.data())
def test_whether_and_how_a_request_is_refused_does_not_depend_on_the_split(
    request, limits, data
):
    wire = bytearray(request.serialize())
    for _ in range(data.draw(st.integers(0, 3))):
        position = data.draw(st.integers(0, len(wire)))
        wire.insert(position, data.draw(st.sampled_from([0, 10, 13, 32, 58, 59, 127])))
    wire = bytes(wire)
    whole = outcome([wire], limits)
    assert outcome(split_randomly(wire, data.draw), limits) == whole
    assert outcome([wire[index:index + 1] for index in range(len(wire))], limits) == whole
