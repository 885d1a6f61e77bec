"""Specification of minihttp.http11's request parser, section by section of RFC 9112 / 9110.

Every case is fed twice: whole, and one byte at a time (the `feeding`
fixture), because a parser that only works when a request arrives in one
piece does not work on a real network.

The rejection table `REJECTED` is shared with test_http11_differential.py,
which records where h11 and httptools are looser than this parser.
"""

from __future__ import annotations

import pytest

from minihttp import request_head
from minihttp.errors import LocalProtocolError, RemoteProtocolError
from minihttp.http11 import (
    CONNECTION_CLOSED,
    NEED_DATA,
    TRANSITIONS,
    TRANSITIONS_IN_PLACE,
    BodyData,
    EndOfMessage,
    Limits,
    RequestHead,
    RequestParser,
)


@pytest.fixture(params=["whole", "byte_by_byte"])
def feeding(request: pytest.FixtureRequest) -> str:
    return request.param


def pieces_of(data: bytes, feeding: str) -> list[bytes]:
    if feeding == "whole":
        return [data] if data else []
    return [data[index:index + 1] for index in range(len(data))]


def parse(data: bytes, feeding: str = "whole", *, limits: Limits | None = None,
          eof: bool = False) -> list:
    """Feed `data` as `feeding` says and return every event, BodyData merged."""
    parser = RequestParser(limits)
    pieces = pieces_of(data, feeding) + ([b""] if eof else [])
    events: list = []
    for piece in pieces:
        parser.feed(piece)
        while True:
            event = parser.next_event()
            if event is NEED_DATA:
                break
            if events and type(event) is BodyData and type(events[-1]) is BodyData:
                events[-1] = BodyData(events[-1].data + event.data)
            else:
                events.append(event)
            if event is CONNECTION_CLOSED:
                break
    return events


def summary(events: list) -> list:
    """Events in a form a table can spell out."""
    out = []
    for event in events:
        if type(event) is RequestHead:
            out.append(("head", event.method, event.target, event.http_version))
        elif type(event) is BodyData:
            out.append(("body", event.data))
        elif type(event) is EndOfMessage:
            out.append(("end", event.trailers))
        else:
            out.append(event)
    return out


def rejection(data: bytes, feeding: str, *, limits: Limits | None = None,
              eof: bool = False) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as caught:
        parse(data, feeding, limits=limits, eof=eof)
    return caught.value


GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"

# (name, request bytes, status). Each one is refused with that status, whole
# and byte by byte; a reason must be a readable sentence (checked below).
REJECTED = [
    # RFC 9112 §3: the request line
    ("two spaces after the method", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("trailing space after the version", b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
    ("tab as the separator", b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("lowercase http in the version", b"GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    ("version without a minor number", b"GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
    ("request line without a version", b"GET /\r\nHost: a\r\n\r\n", 400),
    ("method that is not a token", b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("NUL in the target", b"GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("byte above 0x7E in the target", b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("target that is not a path or a URI", b"GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("asterisk-form with GET", b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("CONNECT with an origin-form target", b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("CONNECT without a port", b"CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("HTTP/1.2", b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    ("HTTP/0.9", b"GET / HTTP/0.9\r\n\r\n", 505),
    ("the HTTP/2 connection preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    # RFC 9112 §2.2: line endings
    ("bare LF after the request line", b"GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
    ("bare LF ending every line", b"GET / HTTP/1.1\nHost: a\n\n", 400),
    ("bare LF between two header lines", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\nY: 2\r\n\r\n", 400),
    ("bare CR inside a header value", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r2\r\n\r\n", 400),
    ("bare CR in the request line", b"GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    # RFC 9112 §5 and RFC 9110 §5: field syntax
    ("space between a field name and the colon",
     b"GET / HTTP/1.1\r\nHost: a\r\nX-Name : v\r\n\r\n", 400),
    ("tab between a field name and the colon",
     b"GET / HTTP/1.1\r\nHost: a\r\nX-Name\t: v\r\n\r\n", 400),
    ("obs-fold continuation line", b"GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n", 400),
    ("obs-fold with a tab", b"GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n\ttwo\r\n\r\n", 400),
    ("empty field name", b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400),
    ("field line without a colon", b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
    ("field name with a slash", b"GET / HTTP/1.1\r\nHost: a\r\nX/Y: v\r\n\r\n", 400),
    ("NUL in a field value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
    ("control byte in a field value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", 400),
    ("DEL in a field value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400),
    ("whitespace before the first field line",
     b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
    # RFC 9112 §3.2: Host
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    ("two Host lines", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("two Host lines in HTTP/1.0", b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
    ("Host with a space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("Host with a slash", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    ("Host with a non-digit port", b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400),
    # RFC 9112 §6: message length, the request-smuggling vectors
    ("Content-Length and Transfer-Encoding together",
     b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", 400),
    ("Transfer-Encoding and Content-Length together (other order)",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
     b"0\r\n\r\n", 400),
    ("Content-Length with a plus sign", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400),
    ("negative Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\nabc", 400),
    ("hex Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc", 400),
    ("Content-Length with a space inside", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400),
    ("Content-Length with a decimal point", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3.0\r\n\r\nabc", 400),
    ("empty Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
    ("Content-Length list with differing values",
     b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
    ("two Content-Length lines that differ",
     b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ("Content-Length list with an empty member",
     b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3,\r\n\r\nabc", 400),
    ("Content-Length of 30 digits",
     b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000000000000000000000000\r\n\r\n", 413),
    ("Transfer-Encoding that does not end in chunked",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ("Transfer-Encoding chunked then gzip",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("Transfer-Encoding chunked twice",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding chunked on two lines",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
     b"\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding xchunked",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding chunked with a parameter",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding chunked followed by a vertical tab",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding with a space before the colon",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    ("empty Transfer-Encoding",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400),
    ("Transfer-Encoding in HTTP/1.0",
     b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("a coding before chunked that is not implemented",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    # RFC 9112 §7.1: chunked bodies
    ("chunk size with 0x", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size with a plus sign", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size with a minus sign", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size with a leading space", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size with a trailing space", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400),
    ("empty chunk size line", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size with 17 hex digits (overflows 64 bits)",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk data longer than its size",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk data followed by LF only",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400),
    ("chunk size line ending in a bare LF",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400),
    ("chunk extension that is not name=value",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk extension with an unterminated quote",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n", 400),
    ("trailer line with a space before the colon",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : y\r\n\r\n", 400),
    ("trailer lines split by a bare LF",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\nY: 2\r\n\r\n", 400),
    ("trailer with obs-fold",
     b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n z\r\n\r\n", 400),
    # RFC 9110 §10.1.1: Expect
    ("an expectation other than 100-continue",
     b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417),
]


class TestRejectedRequests:
    @pytest.mark.parametrize(("name", "data", "status"), REJECTED, ids=[c[0] for c in REJECTED])
    def test_each_invalid_request_is_refused_with_its_status(self, name, data, status, feeding):
        error = rejection(data, feeding)
        assert error.status_code == status
        assert len(error.reason) > 20 and error.reason == error.reason.strip()

    def test_after_an_error_the_parser_stays_in_error_and_raises_again(self):
        parser = RequestParser()
        parser.feed(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n" + GET)
        with pytest.raises(RemoteProtocolError) as first:
            parser.next_event()
        assert parser.their_state == "ERROR"
        with pytest.raises(RemoteProtocolError) as second:
            parser.next_event()
        assert second.value is first.value

    def test_reasons_name_what_was_wrong(self):
        assert "whitespace between the field name and the colon" in rejection(
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "whole").reason
        assert "obs-fold" in rejection(
            b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", "whole").reason
        assert "bare LF" in rejection(b"GET / HTTP/1.1\nHost: a\n\n", "whole").reason
        assert "Host" in rejection(b"GET / HTTP/1.1\r\n\r\n", "whole").reason
        assert "both Transfer-Encoding and Content-Length" in rejection(
            REJECTED_BY_NAME["Content-Length and Transfer-Encoding together"], "whole").reason
        assert "HTTP/2.0" in rejection(b"GET / HTTP/2.0\r\n\r\n", "whole").reason


REJECTED_BY_NAME = {name: data for name, data, _ in REJECTED}


class TestRequestLine:
    """RFC 9112 §3: request-line = method SP request-target SP HTTP-version."""

    @pytest.mark.parametrize(("line", "method", "target"), [
        (b"GET /where?q=now HTTP/1.1", b"GET", b"/where?q=now"),
        (b"GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1", b"GET",
         b"http://www.example.org/pub/WWW/TheProject.html"),
        (b"CONNECT www.example.com:80 HTTP/1.1", b"CONNECT", b"www.example.com:80"),
        (b"CONNECT [::1]:443 HTTP/1.1", b"CONNECT", b"[::1]:443"),
        (b"OPTIONS * HTTP/1.1", b"OPTIONS", b"*"),
        (b"M-SEARCH * HTTP/1.1", None, None),  # asterisk-form is for OPTIONS only
        (b"PURGE /cache/item HTTP/1.1", b"PURGE", b"/cache/item"),
        (b"get /lowercase-method-is-a-token HTTP/1.1", b"get", b"/lowercase-method-is-a-token"),
        (b"GET /a%20b/~user/!$&'()*+,;=:@ HTTP/1.1", b"GET", b"/a%20b/~user/!$&'()*+,;=:@"),
    ])
    def test_request_target_forms_section_3_2(self, line, method, target, feeding):
        data = line + b"\r\nHost: www.example.com\r\n\r\n"
        if method is None:
            assert rejection(data, feeding).status_code == 400
            return
        assert summary(parse(data, feeding)) == [
            ("head", method, target, b"1.1"), ("end", [])]

    def test_http_1_0_is_accepted_without_host(self, feeding):
        events = parse(b"GET / HTTP/1.0\r\n\r\n", feeding)
        assert summary(events) == [("head", b"GET", b"/", b"1.0"), ("end", [])]

    def test_empty_lines_before_a_request_line_are_ignored_section_2_2(self, feeding):
        events = parse(b"\r\n\r\n" + GET, feeding)
        assert summary(events) == [("head", b"GET", b"/", b"1.1"), ("end", [])]

    def test_empty_lines_then_eof_close_the_connection_cleanly(self, feeding):
        assert parse(b"\r\n\r\n", feeding, eof=True) == [CONNECTION_CLOSED]

    def test_a_request_line_over_the_limit_is_414(self, feeding):
        limits = Limits(max_request_line=64)
        long_line = b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
        assert rejection(long_line, feeding, limits=limits).status_code == 414

    def test_a_request_line_over_both_limits_is_414_however_it_arrives(self, feeding):
        limits = Limits(max_request_line=64, max_header_bytes=100)
        long_line = b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
        assert rejection(long_line, feeding, limits=limits).status_code == 414

    def test_a_request_line_exactly_at_the_limit_is_accepted(self, feeding):
        line = b"GET /" + b"a" * 50 + b" HTTP/1.1"
        limits = Limits(max_request_line=len(line))
        events = parse(line + b"\r\nHost: a\r\n\r\n", feeding, limits=limits)
        assert summary(events)[0] == ("head", b"GET", b"/" + b"a" * 50, b"1.1")

    def test_a_long_request_line_without_crlf_is_414_before_the_head_ends(self):
        parser = RequestParser(Limits(max_request_line=64))
        parser.feed(b"GET /" + b"a" * 100)
        with pytest.raises(RemoteProtocolError) as caught:
            parser.next_event()
        assert caught.value.status_code == 414


class TestFieldSyntax:
    """RFC 9112 §5 and RFC 9110 §5: field lines."""

    def test_names_are_lowercased_and_order_and_repeats_are_kept(self, feeding):
        data = (b"GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nACCEPT: */*\r\nx-one: 2\r\n"
                b"Set-Cookie: a=b\r\n\r\n")
        head = parse(data, feeding)[0]
        assert head.headers == [(b"host", b"a"), (b"x-one", b"1"), (b"accept", b"*/*"),
                                (b"x-one", b"2"), (b"set-cookie", b"a=b")]

    @pytest.mark.parametrize(("line", "value"), [
        (b"X: plain", b"plain"),
        (b"X:no-space", b"no-space"),
        (b"X:   spaces around   ", b"spaces around"),
        (b"X:\ttabs\tinside\t", b"tabs\tinside"),
        (b"X:", b""),
        (b"X:    ", b""),
        (b"X: \xe2\x82\xac obs-text is allowed", b"\xe2\x82\xac obs-text is allowed"),
        (b"X: a:b:c", b"a:b:c"),
        (b"!#$%&'*+-.^_`|~09azAZ: token-name", b"token-name"),
    ])
    def test_values_lose_surrounding_whitespace_and_keep_the_rest(self, line, value, feeding):
        head = parse(b"GET / HTTP/1.1\r\nHost: a\r\n" + line + b"\r\n\r\n", feeding)[0]
        assert head.headers[1][1] == value

    def test_more_header_lines_than_the_limit_is_431(self, feeding):
        data = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: 1\r\n" * 10 + b"\r\n"
        assert rejection(data, feeding, limits=Limits(max_headers=10)).status_code == 431
        assert len(parse(data, feeding, limits=Limits(max_headers=11))[0].headers) == 11

    def test_a_head_larger_than_the_limit_is_431(self, feeding):
        data = b"GET / HTTP/1.1\r\nHost: a\r\nCookie: " + b"c" * 500 + b"\r\n\r\n"
        assert rejection(data, feeding, limits=Limits(max_header_bytes=256)).status_code == 431

    def test_a_head_that_never_ends_is_431_once_over_the_limit(self):
        parser = RequestParser(Limits(max_header_bytes=256))
        parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n")
        assert parser.next_event() is NEED_DATA
        parser.feed(b"X: " + b"x" * 300)
        with pytest.raises(RemoteProtocolError) as caught:
            parser.next_event()
        assert caught.value.status_code == 431

    def test_a_large_head_fed_one_byte_at_a_time_parses(self):
        data = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Big: " + b"v" * 30_000 + b"\r\n\r\n"
        head = parse(data, "byte_by_byte")[0]
        assert head.headers[1] == (b"x-big", b"v" * 30_000)


class TestHost:
    """RFC 9112 §3.2: one valid Host in HTTP/1.1."""

    @pytest.mark.parametrize("host", [
        b"example.com", b"example.com:8080", b"127.0.0.1", b"[::1]", b"[::1]:8000",
        b"xn--bcher-kva.example", b"example.com:", b"",
    ])
    def test_valid_hosts_are_accepted(self, host, feeding):
        head = parse(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", feeding)[0]
        assert head.headers == [(b"host", host)]

    def test_host_is_optional_in_http_1_0_but_checked_when_present(self, feeding):
        assert parse(b"GET / HTTP/1.0\r\nHost: a\r\n\r\n", feeding)[0].headers == [(b"host", b"a")]
        assert rejection(b"GET / HTTP/1.0\r\nHost: a b\r\n\r\n", feeding).status_code == 400

    def test_a_refused_host_is_refused_again_and_a_valid_one_is_remembered(self, feeding):
        for _ in range(2):
            assert rejection(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", feeding).status_code == 400
        assert b"a b" not in request_head.valid_hosts
        parse(b"GET / HTTP/1.1\r\nHost: remembered.example\r\n\r\n", feeding)
        assert b"remembered.example" in request_head.valid_hosts

    def test_the_remembered_hosts_are_bounded(self, monkeypatch):
        monkeypatch.setattr(request_head, "valid_hosts", set())
        monkeypatch.setattr(request_head, "VALID_HOSTS_LIMIT", 3)
        for number in range(5):
            parse(b"GET / HTTP/1.1\r\nHost: h%d\r\n\r\n" % number)
        assert request_head.valid_hosts == {b"h0", b"h1", b"h2"}


class TestMessageLength:
    """RFC 9112 §6: how a request's body length is known."""

    def test_content_length_gives_the_body(self, feeding):
        data = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        events = parse(data, feeding)
        assert events[0].content_length == 5 and not events[0].chunked
        assert summary(events)[1:] == [("body", b"hello"), ("end", [])]

    def test_a_request_with_neither_field_has_no_body(self, feeding):
        events = parse(b"POST /x HTTP/1.1\r\nHost: a\r\n\r\n", feeding)
        assert events[0].content_length is None and not events[0].chunked
        assert summary(events)[1:] == [("end", [])]

    def test_content_length_zero_gives_an_empty_body(self, feeding):
        events = parse(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", feeding)
        assert events[0].content_length == 0
        assert summary(events)[1:] == [("end", [])]

    @pytest.mark.parametrize("fields", [
        b"Content-Length: 3, 3", b"Content-Length: 3\r\nContent-Length: 3",
        b"Content-Length: 003", b"Content-Length:  3  ",
    ])
    def test_repeated_equal_content_lengths_are_one_length_rfc_9110_section_8_6(
        self, fields, feeding
    ):
        events = parse(b"POST / HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n\r\nabc", feeding)
        assert events[0].content_length == 3
        assert summary(events)[1:] == [("body", b"abc"), ("end", [])]

    @pytest.mark.parametrize("coding", [b"chunked", b"Chunked", b"CHUNKED", b" chunked\t", b", chunked"])
    def test_transfer_encoding_chunked_is_matched_case_insensitively(self, coding, feeding):
        data = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + coding + b"\r\n\r\n0\r\n\r\n"
        events = parse(data, feeding)
        assert events[0].chunked and events[0].content_length is None

    def test_a_body_larger_than_max_body_size_is_413(self, feeding):
        data = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
        assert rejection(data, feeding, limits=Limits(max_body_size=10)).status_code == 413
        assert summary(parse(data, feeding, limits=Limits(max_body_size=11)))[1] == (
            "body", b"hello world")

    def test_eof_in_the_middle_of_a_body_is_400_incomplete(self, feeding):
        data = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello"
        error = rejection(data, feeding, eof=True)
        assert error.status_code == 400 and "incomplete" in error.reason

    def test_a_body_arriving_in_pieces_is_delivered_as_it_arrives(self):
        parser = RequestParser()
        parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel")
        assert type(parser.next_event()) is RequestHead
        assert parser.next_event() == BodyData(b"hel")
        assert parser.next_event() is NEED_DATA
        parser.feed(b"lo worldGET")
        assert parser.next_event() == BodyData(b"lo worl")
        assert parser.next_event() == EndOfMessage()
        assert parser.next_event() is NEED_DATA
        assert parser.buffered_bytes == 4  # b"dGET", the start of the next request


CHUNKED_HEAD = b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"


class TestChunkedBodies:
    """RFC 9112 §7.1: the chunked transfer coding."""

    @pytest.mark.parametrize(("body", "data"), [
        (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
        (b"0\r\n\r\n", b""),
        (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
        (b"a\r\n0123456789\r\n0000\r\n\r\n", b"0123456789"),
        (b"0000000000000000000005\r\nhello\r\n0\r\n\r\n", b"hello"),
        (b"5;name=value\r\nhello\r\n0;last\r\n\r\n", b"hello"),
        (b"5 ; a = b ; c=\"quoted \\\" value\"\r\nhello\r\n0\r\n\r\n", b"hello"),
        (b"2\r\n\r\n\r\n0\r\n\r\n", b"\r\n"),
    ])
    def test_chunked_bodies_decode_and_extensions_are_ignored(self, body, data, feeding):
        events = parse(CHUNKED_HEAD + body, feeding)
        expected = [("body", data)] if data else []
        assert summary(events)[1:] == [*expected, ("end", [])]

    def test_trailer_fields_arrive_with_the_end_of_message(self, feeding):
        body = b"3\r\nabc\r\n0\r\nExpires: never\r\nX-Checksum:  abc \r\n\r\n"
        events = parse(CHUNKED_HEAD + body, feeding)
        assert events[-1] == EndOfMessage([(b"expires", b"never"), (b"x-checksum", b"abc")])

    def test_a_trailer_section_over_its_limit_is_431(self, feeding):
        body = b"0\r\nX: " + b"y" * 200 + b"\r\n\r\n"
        error = rejection(CHUNKED_HEAD + body, feeding, limits=Limits(max_trailer_bytes=100))
        assert error.status_code == 431

    def test_more_trailer_lines_than_max_headers_is_431(self, feeding):
        body = b"0\r\n" + b"X: 1\r\n" * 4 + b"\r\n"
        error = rejection(CHUNKED_HEAD + body, feeding, limits=Limits(max_headers=3))
        assert error.status_code == 431

    def test_chunks_adding_up_past_max_body_size_are_413(self, feeding):
        body = b"6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n"
        error = rejection(CHUNKED_HEAD + body, feeding, limits=Limits(max_body_size=10))
        assert error.status_code == 413

    def test_a_chunk_size_line_over_its_limit_is_400(self, feeding):
        body = b"5;" + b"x" * 100 + b"\r\nhello\r\n0\r\n\r\n"
        error = rejection(CHUNKED_HEAD + body, feeding, limits=Limits(max_chunk_size_line=50))
        assert error.status_code == 400

    def test_sixteen_hex_digits_are_accepted_up_to_the_body_limit(self):
        body = b"000000000000000f\r\n"
        error = rejection(CHUNKED_HEAD + body, "whole", limits=Limits(max_body_size=10))
        assert error.status_code == 413

    @pytest.mark.parametrize("cut", [1, 3, 8, 10, 12, 14])
    def test_eof_inside_a_chunked_body_is_400_incomplete(self, cut, feeding):
        body = b"5\r\nhello\r\n0\r\n\r\n"[:cut]
        error = rejection(CHUNKED_HEAD + body, feeding, eof=True)
        assert error.status_code == 400 and "incomplete" in error.reason


class TestPersistence:
    """RFC 9112 §9.3 (keep-alive) and §9.3.2 (pipelining)."""

    @pytest.mark.parametrize(("version", "connection", "keep_alive"), [
        (b"1.1", None, True),
        (b"1.1", b"close", False),
        (b"1.1", b"Close", False),
        (b"1.1", b"keep-alive", True),
        (b"1.1", b"Upgrade, close", False),
        (b"1.0", None, False),
        (b"1.0", b"keep-alive", True),
        (b"1.0", b"Keep-Alive", True),
        (b"1.0", b"keep-alive, close", False),
        (b"1.0", b"upgrade", False),
    ])
    def test_keep_alive_follows_version_and_connection(
        self, version, connection, keep_alive, feeding
    ):
        data = b"GET / HTTP/" + version + b"\r\nHost: a\r\n"
        if connection is not None:
            data += b"Connection: " + connection + b"\r\n"
        assert parse(data + b"\r\n", feeding)[0].keep_alive is keep_alive

    def test_pipelined_requests_parse_in_order(self, feeding):
        data = (GET
                + b"POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + CHUNKED_HEAD + b"1\r\nz\r\n0\r\n\r\n"
                + b"GET /four HTTP/1.1\r\nHost: a\r\n\r\n")
        assert summary(parse(data, feeding)) == [
            ("head", b"GET", b"/", b"1.1"), ("end", []),
            ("head", b"POST", b"/two", b"1.1"), ("body", b"abc"), ("end", []),
            ("head", b"POST", b"/upload", b"1.1"), ("body", b"z"), ("end", []),
            ("head", b"GET", b"/four", b"1.1"), ("end", []),
        ]

    def test_eof_between_requests_is_connection_closed(self, feeding):
        events = parse(GET + GET, feeding, eof=True)
        assert summary(events)[-1] is CONNECTION_CLOSED and len(events) == 5

    def test_eof_before_any_request_is_connection_closed(self):
        assert parse(b"", eof=True) == [CONNECTION_CLOSED]

    def test_eof_in_the_middle_of_a_head_is_400_incomplete(self, feeding):
        error = rejection(b"GET / HTTP/1.1\r\nHost: a\r\n", feeding, eof=True)
        assert error.status_code == 400 and "incomplete" in error.reason

    def test_bytes_after_a_closing_request_are_not_parsed(self):
        parser = RequestParser()
        parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGARBAGE\r\n\r\n")
        assert parser.next_event().keep_alive is False
        assert parser.next_event() == EndOfMessage()
        assert parser.their_state == "MUST_CLOSE"
        assert parser.next_event() is NEED_DATA
        parser.feed(b"more garbage")
        assert parser.buffered_bytes == 0
        parser.feed(b"")
        assert parser.next_event() is CONNECTION_CLOSED
        assert parser.their_state == "CLOSED"

    def test_feeding_data_after_eof_is_a_local_error(self):
        parser = RequestParser()
        parser.feed(b"")
        parser.feed(b"")  # a second EOF changes nothing
        with pytest.raises(LocalProtocolError):
            parser.feed(b"GET")

    def test_a_closed_connection_stays_closed(self):
        parser = RequestParser()
        parser.feed(GET)
        parser.feed(b"")
        assert type(parser.next_event()) is RequestHead
        assert type(parser.next_event()) is EndOfMessage
        assert parser.next_event() is CONNECTION_CLOSED
        assert parser.next_event() is CONNECTION_CLOSED


class TestErrorsAndEvents:
    def test_a_remote_error_needs_an_error_status(self):
        with pytest.raises(ValueError, match="400-599"):
            RemoteProtocolError(200, "fine")
        error = RemoteProtocolError(431, "too many headers")
        assert (error.status_code, error.reason, str(error)) == (
            431, "too many headers", "431: too many headers")

    def test_events_show_their_contents(self):
        head, body, end = parse(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz")
        assert "method=b'POST'" in repr(head) and "content_length=1" in repr(head)
        assert repr(body) == "BodyData(b'z')"
        assert repr(end) == "EndOfMessage(trailers=[])"
        assert repr(NEED_DATA) == "NEED_DATA" and repr(CONNECTION_CLOSED) == "CONNECTION_CLOSED"


class TestParserStates:
    """The state table in minihttp.http11's docstring, as the parser walks it."""

    @staticmethod
    def state_changes(data: bytes, feeding: str) -> list[tuple[str, str]]:
        """Every change of the parser's state while it reads `data` then EOF."""
        changes = []
        slot = RequestParser._state  # the slot's descriptor: every store goes through it

        class RecordingParser(RequestParser):
            """Records each store to _state, whether _enter makes it or it is made in place."""

            __slots__ = ()

            @property
            def _state(self):
                return slot.__get__(self)

            @_state.setter
            def _state(self, state):
                if hasattr(self, "_error"):  # (not the first store, in __init__)
                    changes.append((slot.__get__(self), state))
                slot.__set__(self, state)

        parser = RecordingParser()
        for piece in pieces_of(data, feeding) + [b""]:
            parser.feed(piece)
            while parser.next_event() not in (NEED_DATA, CONNECTION_CLOSED):
                pass
        return [(before, after) for before, after in changes if before != after]

    def test_every_state_change_is_a_transition_of_the_table(self, feeding):
        data = (CHUNKED_HEAD + b"3\r\nabc\r\n0\r\nX: y\r\n\r\n"
                + b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        changes = self.state_changes(data, feeding)
        for before, after in changes:
            assert after in TRANSITIONS[before], f"{before} -> {after} is not in the table"
        assert changes == [
            ("IDLE", "CHUNK_SIZE"), ("CHUNK_SIZE", "CHUNK_DATA"), ("CHUNK_DATA", "CHUNK_DATA_END"),
            ("CHUNK_DATA_END", "CHUNK_SIZE"), ("CHUNK_SIZE", "TRAILERS"), ("TRAILERS", "IDLE"),
            ("IDLE", "BODY"), ("BODY", "MUST_CLOSE"), ("MUST_CLOSE", "CLOSED"),
        ]

    def test_a_bodyless_request_goes_to_body_and_back_by_changes_made_in_place(self, feeding):
        changes = self.state_changes(GET, feeding)
        assert changes == [("IDLE", "BODY"), ("BODY", "IDLE"), ("IDLE", "CLOSED")]
        assert set(changes[:2]) <= TRANSITIONS_IN_PLACE
        for before, after in TRANSITIONS_IN_PLACE:
            assert after in TRANSITIONS[before]

    def test_an_illegal_transition_is_refused_naming_both_states(self):
        parser = RequestParser()
        with pytest.raises(LocalProtocolError, match="IDLE to TRAILERS"):
            parser._enter("TRAILERS")

    def test_bytes_after_an_error_are_not_kept(self):
        parser = RequestParser()
        parser.feed(b"BAD REQUEST LINE\r\n\r\n")
        with pytest.raises(RemoteProtocolError):
            parser.next_event()
        parser.feed(b"x" * 1000)
        assert parser.buffered_bytes <= len(b"BAD REQUEST LINE\r\n\r\n")

    @pytest.mark.parametrize("kind", [bytearray, memoryview])
    def test_feed_accepts_any_bytes_like_object(self, kind):
        parser = RequestParser()
        parser.feed(kind(GET[:10]))
        assert parser.next_event() is NEED_DATA
        parser.feed(kind(GET[10:]))
        head = parser.next_event()
        assert head.target == b"/" and type(head.method) is bytes


class TestUpgrade:
    """RFC 9110 §7.8: after 101 Switching Protocols the bytes are not HTTP any more."""

    def test_the_bytes_after_an_upgrade_request_are_handed_over(self):
        parser = RequestParser()
        parser.feed(b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
                    b"Upgrade: websocket\r\n\r\n\x81\x85frame")
        assert parser.next_event().headers[-1] == (b"upgrade", b"websocket")
        assert parser.next_event() == EndOfMessage()
        assert parser.take_unparsed() == b"\x81\x85frame"
        assert parser.their_state == "SWITCHED_PROTOCOL"
        with pytest.raises(LocalProtocolError, match="switched protocols"):
            parser.next_event()
        with pytest.raises(LocalProtocolError, match="switched protocols"):
            parser.feed(b"more")

    def test_take_unparsed_in_the_middle_of_a_request_is_a_local_error(self):
        parser = RequestParser()
        parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab")
        parser.next_event()
        with pytest.raises(LocalProtocolError, match="state BODY"):
            parser.take_unparsed()


class TestExpect:
    """RFC 9110 §10.1.1: Expect: 100-continue."""

    @pytest.mark.parametrize(("version", "value", "expected"), [
        (b"1.1", b"100-continue", True),
        (b"1.1", b"100-Continue", True),
        (b"1.0", b"100-continue", False),  # MUST ignore in HTTP/1.0
        (b"1.0", b"something-else", False),
    ])
    def test_expect_continue_is_reported_for_http_1_1(self, version, value, expected):
        data = (b"POST / HTTP/" + version + b"\r\nHost: a\r\nExpect: " + value
                + b"\r\nContent-Length: 2\r\n\r\n")
        parser = RequestParser()
        parser.feed(data)
        head = parser.next_event()
        assert head.expect_continue is expected
        assert parser.next_event() is NEED_DATA  # the body waits for the server's 100
        parser.feed(b"ok")
        assert parser.next_event() == BodyData(b"ok")

    def test_requests_without_expect_do_not_expect_continue(self):
        assert parse(GET)[0].expect_continue is False


class TestLimits:
    @pytest.mark.parametrize("field", [
        "max_request_line", "max_header_bytes", "max_headers", "max_trailer_bytes",
        "max_chunk_size_line",
    ])
    def test_limits_must_be_positive(self, field):
        with pytest.raises(ValueError, match=field):
            Limits(**{field: 0})

    def test_max_body_size_may_be_none_or_a_non_negative_int(self):
        assert Limits(max_body_size=None).max_body_size is None
        assert Limits(max_body_size=0).max_body_size == 0
        with pytest.raises(ValueError, match="max_body_size"):
            Limits(max_body_size=-1)
