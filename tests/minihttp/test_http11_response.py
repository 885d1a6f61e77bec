"""Specification of the response side of minihttp.http11 (minihttp.response).

RFC 9112 §4 (status line), §6.3 (how the client finds the end of the body),
§7.1 (chunked), §9.6 (Connection: close), RFC 9110 §6.6.1 (Date) and the
response-splitting refusals. h11's client role is the oracle that reads our
bytes the way a real client would.
"""

from __future__ import annotations

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minihttp.errors import LocalProtocolError
from minihttp.headers import checked_lines, outgoing_line
from minihttp.http11 import CONTINUE_RESPONSE, RequestHead, ResponseWriter, simple_response
from minihttp.response import complete_response, http_date

DATE = b"Sun, 06 Nov 1994 08:49:37 GMT"


def request(method: bytes = b"GET", version: bytes = b"1.1", keep_alive: bool | None = None):
    if keep_alive is None:
        keep_alive = version == b"1.1"
    return RequestHead(method, b"/", version, [(b"host", b"a")], keep_alive=keep_alive)


def writer(**kwargs) -> ResponseWriter:
    return ResponseWriter(request(**kwargs), date=DATE)


def read_with_h11(method: bytes, version: bytes, response: bytes) -> list:
    """What a real client (h11) makes of `response` to a `method` request.

    h11 only sends HTTP/1.1, so `version` is not used: our framing choices for
    HTTP/1.0 (close-delimited) read the same to an HTTP/1.1 client.
    """
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("Host", "a")]))
    client.send(h11.EndOfMessage())
    client.receive_data(response)
    client.receive_data(b"")
    events = []
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA or type(event) is h11.ConnectionClosed:
            return events
        events.append(event)
        if type(event) is h11.EndOfMessage:
            return events


class TestStatusLine:
    """RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]."""

    @pytest.mark.parametrize(("status", "line"), [
        (200, b"HTTP/1.1 200 OK\r\n"),
        (404, b"HTTP/1.1 404 Not Found\r\n"),
        (418, b"HTTP/1.1 418 I'm a Teapot\r\n"),
        (299, b"HTTP/1.1 299 \r\n"),
        (599, b"HTTP/1.1 599 \r\n"),
    ])
    def test_the_status_line_carries_the_standard_reason_or_none(self, status, line):
        assert writer().head(status, [(b"content-length", b"0")]).startswith(line)

    @pytest.mark.parametrize("status", [99, 1000, -1, "200", 200.0])
    def test_an_impossible_status_is_a_local_error(self, status):
        with pytest.raises(LocalProtocolError, match="status"):
            writer().head(status, [])

    def test_http_1_0_requests_get_an_http_1_1_status_line_rfc_9110_section_2_5(self):
        assert writer(version=b"1.0").head(200, []).startswith(b"HTTP/1.1 200 OK\r\n")


class TestFraming:
    """RFC 9112 §6.3: the response tells the client where its body ends."""

    def test_content_length_from_the_app_frames_the_body(self):
        response_writer = writer()
        head = response_writer.head(200, [(b"content-type", b"text/plain"),
                                          (b"content-length", b"5")])
        assert head == (b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n"
                        b"date: " + DATE + b"\r\nserver: minihttp\r\n\r\n")
        body = response_writer.body(b"hel", more=True) + response_writer.body(b"lo", more=False)
        assert body == b"hello"
        assert response_writer.keep_alive is True

    def test_without_a_length_http_1_1_gets_chunked(self):
        response_writer = writer()
        head = response_writer.head(200, [])
        assert b"transfer-encoding: chunked\r\n" in head and b"content-length" not in head
        body = (response_writer.body(b"hello", more=True) + response_writer.body(b"", more=True)
                + response_writer.body(b" world!", more=False))
        assert body == b"5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n"
        events = read_with_h11(b"GET", b"1.1", head + body)
        assert b"".join(bytes(e.data) for e in events if type(e) is h11.Data) == b"hello world!"
        assert response_writer.keep_alive is True

    def test_without_a_length_http_1_0_is_delimited_by_closing(self):
        response_writer = writer(version=b"1.0", keep_alive=True)
        head = response_writer.head(200, [])
        assert b"transfer-encoding" not in head and b"connection: close\r\n" in head
        assert response_writer.body(b"all of it", more=False) == b"all of it"
        assert response_writer.keep_alive is False

    def test_a_head_response_has_no_body_but_keeps_the_length(self):
        response_writer = writer(method=b"HEAD")
        head = response_writer.head(200, [(b"content-length", b"1234")])
        assert b"content-length: 1234\r\n" in head
        assert response_writer.body(b"the body a GET would get", more=False) == b""
        assert response_writer.keep_alive is True

    def test_a_head_response_without_a_length_is_not_chunked(self):
        head = writer(method=b"HEAD").head(200, [])
        assert b"transfer-encoding" not in head and b"content-length" not in head

    @pytest.mark.parametrize("status", [204, 304])
    def test_204_and_304_have_no_body(self, status):
        response_writer = writer()
        head = response_writer.head(status, [])
        assert b"transfer-encoding" not in head
        assert response_writer.body(b"", more=False) == b""
        with pytest.raises(LocalProtocolError, match="no body"):
            other = writer()
            other.head(status, [])
            other.body(b"x", more=False)

    def test_204_drops_a_content_length_rfc_9110_section_8_6(self):
        assert b"content-length" not in writer().head(204, [(b"content-length", b"0")])

    def test_304_keeps_the_content_length_of_the_representation(self):
        assert b"content-length: 42\r\n" in writer().head(304, [(b"content-length", b"42")])

    def test_informational_responses_precede_the_final_one(self):
        response_writer = writer()
        early = response_writer.head(103, [(b"link", b"</style.css>; rel=preload")])
        assert early == b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"
        final = response_writer.head(200, [(b"content-length", b"0")])
        assert final.startswith(b"HTTP/1.1 200 OK\r\n")

    def test_101_switching_protocols_ends_http_on_the_connection(self):
        response_writer = writer()
        response_writer.head(101, [(b"upgrade", b"websocket"), (b"connection", b"Upgrade")])
        assert response_writer.keep_alive is False

    def test_continue_response_is_the_interim_100(self):
        assert CONTINUE_RESPONSE == b"HTTP/1.1 100 Continue\r\n\r\n"

    def test_sending_more_than_the_content_length_is_a_local_error(self):
        response_writer = writer()
        response_writer.head(200, [(b"content-length", b"3")])
        with pytest.raises(LocalProtocolError, match="Content-Length 3"):
            response_writer.body(b"four", more=True)

    def test_ending_short_of_the_content_length_is_a_local_error(self):
        response_writer = writer()
        response_writer.head(200, [(b"content-length", b"3")])
        response_writer.body(b"ab", more=True)
        with pytest.raises(LocalProtocolError, match="2 bytes"):
            response_writer.body(b"", more=False)
        assert response_writer.keep_alive is False

    def test_the_app_may_ask_for_chunked_itself(self):
        head = writer().head(200, [(b"Transfer-Encoding", b"chunked")])
        assert head.count(b"chunked") == 1

    @pytest.mark.parametrize("headers", [
        [(b"transfer-encoding", b"gzip")],
        [(b"transfer-encoding", b"chunked"), (b"content-length", b"3")],
        [(b"content-length", b"-3")],
        [(b"content-length", b"3"), (b"content-length", b"3")],
    ])
    def test_framing_headers_that_do_not_make_sense_are_a_local_error(self, headers):
        with pytest.raises(LocalProtocolError):
            writer().head(200, headers)


class TestConnectionHeader:
    """RFC 9112 §9.6: announce the close; §9.3: HTTP/1.0 keep-alive."""

    def test_a_request_that_closes_gets_connection_close(self):
        response_writer = writer(keep_alive=False)
        assert b"connection: close\r\n" in response_writer.head(200, [(b"content-length", b"0")])
        assert response_writer.keep_alive is False

    def test_the_app_may_close_the_connection(self):
        response_writer = writer()
        head = response_writer.head(200, [(b"connection", b"close"), (b"content-length", b"0")])
        assert head.count(b"connection: close") == 1
        assert response_writer.keep_alive is False

    def test_http_1_0_keep_alive_is_confirmed(self):
        response_writer = writer(version=b"1.0", keep_alive=True)
        head = response_writer.head(200, [(b"content-length", b"2")])
        assert b"connection: keep-alive\r\n" in head
        assert response_writer.keep_alive is True

    def test_http_1_1_keep_alive_needs_no_header(self):
        assert b"connection" not in writer().head(200, [(b"content-length", b"0")])


class TestDateAndServer:
    """RFC 9110 §6.6.1 (Date) and §10.2.4 (Server)."""

    def test_date_is_an_imf_fixdate(self):
        assert http_date(784111777) == DATE

    def test_date_is_cached_for_a_second(self):
        assert http_date(784111777.1) is http_date(784111777.9)
        assert http_date(784111778) == b"Sun, 06 Nov 1994 08:49:38 GMT"

    def test_without_a_fixed_date_the_clock_is_used(self):
        head = ResponseWriter(request()).head(200, [(b"content-length", b"0")])
        assert b"\r\ndate: " in head and head.endswith(b" GMT\r\nserver: minihttp\r\n\r\n")

    def test_the_apps_date_and_server_are_kept_and_not_repeated(self):
        head = writer().head(200, [(b"Date", b"x"), (b"Server", b"app"), (b"content-length", b"0")])
        assert head.lower().count(b"date:") == 1 and head.lower().count(b"server:") == 1
        assert b"Server: app\r\n" in head

    def test_the_server_header_can_be_renamed_or_left_out(self):
        named = ResponseWriter(request(), server_header=b"edge", date=DATE)
        assert b"server: edge\r\n" in named.head(200, [(b"content-length", b"0")])
        silent = ResponseWriter(request(), server_header=None, date=DATE)
        assert b"server" not in silent.head(200, [(b"content-length", b"0")])


class TestResponseSplitting:
    """CWE-113: a CR or LF from user input must never reach the header block."""

    @pytest.mark.parametrize(("name", "value"), [
        (b"location", b"/ok\r\nSet-Cookie: stolen=1"),
        (b"location", b"/ok\nSet-Cookie: stolen=1"),
        (b"location", b"/ok\rSet-Cookie: stolen=1"),
        (b"x-null", b"a\x00b"),
        (b"x-control", b"a\x1bb"),
        (b"bad name", b"v"),
        (b"bad:name", b"v"),
        (b"", b"v"),
        (b"x-evil\r\nset-cookie", b"v"),
        ("str-name", b"v"),
        (b"x-str-value", "v"),
    ])
    def test_unsafe_names_and_values_are_refused(self, name, value):
        with pytest.raises(LocalProtocolError):
            writer().head(200, [(name, value)])

    def test_tabs_and_non_ascii_bytes_in_values_are_allowed(self):
        head = writer().head(200, [(b"x", b"a\tb \xc3\xa9"), (b"content-length", b"0")])
        assert b"x: a\tb \xc3\xa9\r\n" in head


class TestWriterStates:
    def test_head_twice_is_a_local_error(self):
        response_writer = writer()
        response_writer.head(200, [(b"content-length", b"0")])
        with pytest.raises(LocalProtocolError, match="twice"):
            response_writer.head(200, [])

    def test_body_before_head_is_a_local_error(self):
        with pytest.raises(LocalProtocolError, match="before head"):
            writer().body(b"x", more=False)

    def test_body_after_the_end_is_a_local_error(self):
        response_writer = writer()
        response_writer.head(200, [])
        response_writer.body(b"", more=False)
        with pytest.raises(LocalProtocolError, match="after the response ended"):
            response_writer.body(b"x", more=False)


class TestCompleteResponse:
    """complete_response(): a body sent whole is framed by its length, in one call."""

    SERVER = b"server: minihttp\r\n"

    def test_a_body_without_a_length_gets_content_length_not_chunked(self):
        wire, keep_alive = complete_response(request(), 200, [(b"content-type", b"text/plain")],
                                             b"hello", self.SERVER)
        assert keep_alive is True
        assert wire.startswith(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n")
        assert b"content-length: 5\r\n" in wire and b"transfer-encoding" not in wire
        assert b"server: minihttp\r\n" in wire and b"\r\ndate: " in wire
        assert wire.endswith(b"\r\n\r\nhello")
        events = read_with_h11(b"GET", b"1.1", wire)
        assert (events[0].status_code, bytes(events[1].data)) == (200, b"hello")

    def test_the_apps_matching_length_is_written_once(self):
        wire, _ = complete_response(request(), 200, [(b"Content-Length", b"5")], b"hello", None)
        assert wire.lower().count(b"content-length") == 1
        assert b"server:" not in wire

    def test_the_apps_date_and_server_are_kept_and_not_repeated(self):
        headers = [(b"date", DATE), (b"server", b"edge")]
        wire, _ = complete_response(request(), 200, headers, b"", self.SERVER)
        assert wire.count(b"date: ") == 1 and b"date: " + DATE in wire
        assert wire.count(b"server: ") == 1 and b"server: edge\r\n" in wire

    @pytest.mark.parametrize(("version", "keep_alive", "line"), [
        (b"1.1", False, b"connection: close\r\n"),
        (b"1.0", False, b"connection: close\r\n"),
        (b"1.0", True, b"connection: keep-alive\r\n"),
    ])
    def test_the_connection_header_says_what_happens_next(self, version, keep_alive, line):
        wire, kept = complete_response(request(version=version, keep_alive=keep_alive), 200, [],
                                       b"x", None)
        assert kept is keep_alive
        assert line in wire and b"content-length: 1\r\n" in wire

    @pytest.mark.parametrize(("method", "status", "headers"), [
        (b"HEAD", 200, []),
        (b"GET", 204, []),
        (b"GET", 304, []),
        (b"GET", 101, []),
        (b"GET", 1000, []),
        (b"GET", "200", []),
        (b"GET", 200, [(b"transfer-encoding", b"chunked")]),
        (b"GET", 200, [(b"connection", b"close")]),
        (b"GET", 200, [(b"content-length", b"4")]),
        (b"GET", 200, [(b"content-length", b"+5")]),
    ])
    def test_anything_unusual_is_left_to_the_response_writer(self, method, status, headers):
        assert complete_response(request(method=method), status, headers, b"hello", None) is None

    @pytest.mark.parametrize(("name", "value"), [
        (b"location", b"/ok\r\nSet-Cookie: stolen=1"),
        (b"x-null", b"a\x00b"),
        (b"bad name", b"v"),
        (b"x-bytearray", bytearray(b"v")),
        (b"x-str-value", "v"),
    ])
    def test_unsafe_or_mistyped_fields_are_refused(self, name, value):
        with pytest.raises(LocalProtocolError):
            complete_response(request(), 200, [(name, value)], b"", None)

    def test_a_checked_line_is_remembered_and_an_unsafe_one_never_is(self):
        assert outgoing_line(b"X-Remembered", b"yes") == (b"x-remembered", b"X-Remembered: yes\r\n")
        assert (b"X-Remembered", b"yes") in checked_lines
        with pytest.raises(LocalProtocolError):
            outgoing_line(b"X-Remembered", b"yes\r\nx: 1")
        assert (b"X-Remembered", b"yes\r\nx: 1") not in checked_lines
        long_value = b"v" * 1000
        assert outgoing_line(b"x-long", long_value)[1] == b"x-long: " + long_value + b"\r\n"
        assert (b"x-long", long_value) not in checked_lines


class TestSimpleResponse:
    def test_a_simple_response_is_a_whole_text_response_that_closes(self):
        response = simple_response(400, "request line is malformed")
        events = read_with_h11(b"GET", b"1.1", response)
        assert events[0].status_code == 400
        assert (b"connection", b"close") in events[0].headers
        assert bytes(events[1].data) == b"request line is malformed\n"

    def test_a_simple_response_may_keep_the_connection(self):
        response = simple_response(503, "busy, retry", keep_alive=True)
        assert b"connection" not in response
        assert response.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert response.endswith(b"content-length: 12\r\n" + response.split(b"content-length: 12\r\n")[1])

    def test_unicode_reasons_are_utf8(self):
        assert simple_response(400, "caf\u00e9").endswith("caf\u00e9\n".encode())


@pytest.mark.parametrize(("method", "version", "status", "headers", "chunks"), [
    (b"GET", b"1.1", 200, [(b"content-length", b"11")], [b"hello", b" world"]),
    (b"GET", b"1.1", 200, [], [b"hello", b"", b" world"]),
    (b"GET", b"1.1", 404, [(b"content-type", b"text/html")], [b"<p>gone</p>"]),
    (b"GET", b"1.0", 200, [], [b"close", b"-delimited"]),
    (b"HEAD", b"1.1", 200, [(b"content-length", b"11")], [b"hello world"]),
    (b"GET", b"1.1", 204, [], [b""]),
    (b"GET", b"1.1", 304, [(b"etag", b'"x"')], [b""]),
])
def test_h11_reads_our_responses_as_we_meant_them(method, version, status, headers, chunks):
    response_writer = ResponseWriter(request(method=method, version=version), date=DATE)
    wire = response_writer.head(status, headers)
    for index, chunk in enumerate(chunks):
        wire += response_writer.body(chunk, more=index < len(chunks) - 1)
    events = read_with_h11(method, version, wire)
    assert events[0].status_code == status
    body = b"".join(bytes(event.data) for event in events if type(event) is h11.Data)
    expected_body = b"" if method == b"HEAD" or status in (204, 304) else b"".join(chunks)
    assert body == expected_body
    assert type(events[-1]) is h11.EndOfMessage


response_field_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12
).filter(lambda name: name not in {"content-length", "transfer-encoding", "connection",
                                   "date", "server"}).map(str.encode)
response_field_values = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ;=/,", max_size=20
).map(lambda value: value.strip().encode())


@settings(deadline=None, max_examples=200)
@given(
    method=st.sampled_from([b"GET", b"POST", b"HEAD"]),
    status=st.sampled_from([200, 201, 202, 204, 301, 304, 400, 404, 418, 500, 503]),
    fields=st.lists(st.tuples(response_field_names, response_field_values), max_size=6),
    chunks=st.lists(st.binary(max_size=50), min_size=1, max_size=4),
    declare_length=st.booleans(),
)
def test_any_response_we_write_reads_back_the_same_with_h11(
    method, status, fields, chunks, declare_length
):
    body = b"".join(chunks)
    headers = list(fields)
    if declare_length and status not in (204, 304):
        headers.append((b"content-length", b"%d" % len(body)))
    response_writer = ResponseWriter(request(method=method), date=DATE)
    wire = response_writer.head(status, headers)
    for index, chunk in enumerate(chunks):
        wire += response_writer.body(chunk if method == b"HEAD" or status not in (204, 304)
                                     else b"", more=index < len(chunks) - 1)
    events = read_with_h11(method, b"1.1", wire)
    response = events[0]
    assert response.status_code == status
    received = [(name, value) for name, value in response.headers
                if name not in (b"date", b"server", b"transfer-encoding", b"content-length")]
    assert received == [(name.lower(), value) for name, value in fields]
    expected_body = b"" if method == b"HEAD" or status in (204, 304) else body
    assert b"".join(bytes(e.data) for e in events if type(e) is h11.Data) == expected_body
    assert type(events[-1]) is h11.EndOfMessage
    assert response_writer.keep_alive is True


# -- RFC 9110 §5.5: an outgoing field value holds no CR, LF, NUL or other control ------------

SAFE_VALUE_BYTES = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])


@settings(max_examples=300)
@given(name=st.sampled_from([b"x-custom", b"content-type", b"set-cookie", b"location"]),
       value=st.binary(max_size=40))
def test_a_head_is_written_exactly_when_every_value_is_free_of_controls(name, value):
    # The writer checks each line once and remembers it; the law is the per-value rule.
    safe = all(byte in SAFE_VALUE_BYTES for byte in value)
    response = writer()
    if safe:
        head = response.head(200, [(name, value), (b"content-length", b"0")])
        assert name + b": " + value.strip(b" \t") in head or name + b": " + value in head
    else:
        with pytest.raises(LocalProtocolError, match=name.decode()):
            response.head(200, [(name, value), (b"content-length", b"0")])


@settings(deadline=None, max_examples=200)
@given(
    method=st.sampled_from([b"GET", b"POST", b"HEAD"]),
    version=st.sampled_from([b"1.1", b"1.0"]),
    status=st.sampled_from([200, 201, 204, 301, 304, 404, 500]),
    fields=st.lists(st.tuples(response_field_names, response_field_values), max_size=6),
    body=st.binary(max_size=60),
    declare_length=st.booleans(),
)
def test_a_complete_response_reads_back_like_the_writers(
    method, version, status, fields, body, declare_length
):
    headers = list(fields)
    if declare_length:
        headers.append((b"content-length", b"%d" % len(body)))
    whole = complete_response(request(method=method, version=version), status, headers, body,
                              None)
    if method == b"HEAD" or status in (204, 304):
        assert whole is None
        return
    assert whole is not None
    wire, keep_alive = whole
    assert keep_alive is (version == b"1.1")
    events = read_with_h11(method, version, wire)
    assert events[0].status_code == status
    received = [(name, value) for name, value in events[0].headers
                if name not in (b"date", b"content-length", b"connection")]
    assert received == [(name.lower(), value) for name, value in fields]
    assert dict(events[0].headers)[b"content-length"] == b"%d" % len(body)
    assert b"".join(bytes(e.data) for e in events if type(e) is h11.Data) == body
    assert type(events[-1]) is h11.EndOfMessage
