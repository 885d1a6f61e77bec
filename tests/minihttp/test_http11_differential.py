"""minihttp.http11 against h11 (pure Python) and httptools (llhttp, in C).

On valid requests the three must agree: the same method, target, version,
headers (names lowercased, order kept), body and trailers; and pipelined
requests cut into random pieces parse to the same messages as httptools. On invalid ones
this parser is deliberately the strictest of the three. The table below
records, for every case of test_http11.REJECTED that h11 or httptools lets
through, what each does and why this parser refuses; `test_the_table_...`
re-measures it, so the table cannot drift from what the libraries really do.
("accepts": parses a whole request; "waits": takes the head and waits for a
body that cannot be right; "upgrade": httptools hands the raw connection to
the application as a tunnel.)

On valid input one difference is known: h11 and httptools both refuse
whitespace before a chunk extension (`5 ;name`), which RFC 9112 §7.1.1
allows as BWS; we follow the RFC, and the test asserts their refusal instead
of equality for such requests. (Accepting what a front proxy refuses cannot
smuggle anything: the proxy never forwards it.)

| case                                   | h11     | httptools | why we refuse                        |
|----------------------------------------|---------|-----------|--------------------------------------|
| two spaces after the method            | refuses | accepts   | RFC 9112 §3: single SP; a proxy that |
|                                        |         |           | splits differently sees another URL  |
| request line without a version         | refuses | accepts   | that is HTTP/0.9, which has no       |
|                                        |         |           | headers: nothing after it is framed  |
| target that is not a path or a URI     | accepts | refuses   | RFC 9112 §3.2: no such target form   |
| asterisk-form with GET                 | accepts | accepts   | §3.2.4: '*' is for OPTIONS only      |
| CONNECT with an origin-form target     | accepts | upgrade   | §3.2.3: CONNECT takes host:port only |
| CONNECT without a port                 | accepts | upgrade   | §3.2.3: the port is required         |
| HTTP/2.0, HTTP/0.9                     | accepts | accepts   | we speak 1.0 and 1.1 only: 505       |
| HTTP/1.2                               | accepts | refuses   | (same; RFC 9110 §2.5 would allow 1.1)|
| the HTTP/2 connection preface          | accepts | refuses   | 505 tells an h2 client to fall back  |
| bare LF after the request line         | accepts | refuses   | §2.2 MAY accept; a proxy that does   |
| bare LF ending every line, or between  | accepts | refuses   | not sees different headers           |
| two header or trailer lines            |         |           |                                      |
| obs-fold continuation line (SP or tab) | accepts | refuses   | §5.2: folded lines are read          |
| trailer with obs-fold                  | accepts | refuses   | differently by different parsers     |
| control byte / DEL in a field value    | accepts | refuses   | RFC 9110 §5.5: not field-vchar       |
| HTTP/1.1 without Host                  | refuses | accepts   | RFC 9112 §3.2: MUST 400              |
| two Host lines (1.1 and 1.0)           | refuses | accepts   | §3.2: MUST 400 (which one is meant?) |
| Host with a space, slash or bad port   | accepts | accepts   | §3.2: MUST 400 for an invalid Host   |
| Content-Length with Transfer-Encoding  | accepts | refuses   | §6.1: the CL.TE / TE.CL smuggling    |
| (either order)                         |         |           | vector; h11 lets TE win              |
| Transfer-Encoding in HTTP/1.0          | accepts | accepts   | §6.1: 1.0 has no chunked; faulty     |
| a coding before chunked (gzip, chunked)| refuses | accepts   | 501: we do not decode gzip           |
| chunk size with a trailing space       | accepts | refuses   | §7.1 grammar has no whitespace there |
| chunk size with 17 hex digits          | waits   | refuses   | a C proxy's 64-bit size would wrap   |
| chunk extension ';=x'                  | accepts | accepts   | §7.1.1: an extension needs a name    |
| chunk extension with unterminated quote| accepts | refuses   | §7.1.1: not a quoted-string          |
| an expectation other than 100-continue | accepts | accepts   | RFC 9110 §10.1.1: 417, we cannot     |
|                                        |         |           | meet it (h11 leaves it to the app)   |
"""

from __future__ import annotations

import h11
import httptools
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minihttp.http11 import BodyData, RequestHead
from tests.minihttp.test_http11 import REJECTED
from tests.minihttp.test_http11_properties import (
    STANDARD_METHODS,
    expected_events,
    parse_pieces,
    requests,
)

# case name -> (what h11 does, what httptools does), for the cases where at
# least one of them does not refuse. Every other REJECTED case both refuse.
LOOSER = {
    "two spaces after the method": ("refuses", "accepts"),
    "request line without a version": ("refuses", "accepts"),
    "target that is not a path or a URI": ("accepts", "refuses"),
    "asterisk-form with GET": ("accepts", "accepts"),
    "CONNECT with an origin-form target": ("accepts", "upgrade"),
    "CONNECT without a port": ("accepts", "upgrade"),
    "HTTP/2.0": ("accepts", "accepts"),
    "HTTP/1.2": ("accepts", "refuses"),
    "HTTP/0.9": ("accepts", "accepts"),
    "the HTTP/2 connection preface": ("accepts", "refuses"),
    "bare LF after the request line": ("accepts", "refuses"),
    "bare LF ending every line": ("accepts", "refuses"),
    "bare LF between two header lines": ("accepts", "refuses"),
    "trailer lines split by a bare LF": ("accepts", "refuses"),
    "obs-fold continuation line": ("accepts", "refuses"),
    "obs-fold with a tab": ("accepts", "refuses"),
    "control byte in a field value": ("accepts", "refuses"),
    "DEL in a field value": ("accepts", "refuses"),
    "HTTP/1.1 without Host": ("refuses", "accepts"),
    "two Host lines": ("refuses", "accepts"),
    "two Host lines in HTTP/1.0": ("refuses", "accepts"),
    "Host with a space": ("accepts", "accepts"),
    "Host with a slash": ("accepts", "accepts"),
    "Host with a non-digit port": ("accepts", "accepts"),
    "Content-Length and Transfer-Encoding together": ("accepts", "refuses"),
    "Transfer-Encoding and Content-Length together (other order)": ("accepts", "refuses"),
    "Transfer-Encoding in HTTP/1.0": ("accepts", "accepts"),
    "a coding before chunked that is not implemented": ("refuses", "accepts"),
    "chunk size with a trailing space": ("accepts", "refuses"),
    "chunk size with 17 hex digits (overflows 64 bits)": ("waits", "refuses"),
    "chunk extension that is not name=value": ("accepts", "accepts"),
    "chunk extension with an unterminated quote": ("accepts", "refuses"),
    "trailer with obs-fold": ("accepts", "refuses"),
    "an expectation other than 100-continue": ("accepts", "accepts"),
}


def parse_with_h11(wire: bytes) -> dict:
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(wire)
    result: dict = {"body": b""}
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            result["complete"] = False
            return result
        if type(event) is h11.Request:
            result.update(method=event.method, target=event.target,
                          version=event.http_version, headers=list(event.headers))
        elif type(event) is h11.Data:
            result["body"] += bytes(event.data)
        elif type(event) is h11.EndOfMessage:
            result.update(trailers=list(event.headers), complete=True)
            return result


class HttptoolsCollector:
    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.trailers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.head_complete = False
        self.complete = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp reports trailer fields through the same callback, after the head.
        (self.trailers if self.head_complete else self.headers).append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.head_complete = True

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete = True


def parse_with_httptools(wire: bytes) -> dict:
    collector = HttptoolsCollector()
    parser = httptools.HttpRequestParser(collector)
    parser.feed_data(wire)
    return {
        "method": parser.get_method(), "target": collector.url,
        "version": parser.get_http_version().encode(), "headers": collector.headers,
        "body": collector.body, "trailers": collector.trailers, "complete": collector.complete,
    }


def parse_with_minihttp(wire: bytes) -> dict:
    head, *middle, end = parse_pieces([wire])
    return {
        "method": head.method, "target": head.target, "version": head.http_version,
        "headers": head.headers, "body": b"".join(event.data for event in middle),
        "trailers": end.trailers, "complete": True,
    }


@settings(deadline=None, max_examples=200)
@given(request=requests(methods=st.sampled_from(STANDARD_METHODS)))
def test_valid_requests_parse_the_same_as_with_h11_and_httptools(request):
    wire = request.serialize()
    ours = parse_with_minihttp(wire)
    assert parse_pieces([wire]) == expected_events(request)
    extensions = request.extensions
    used = [extensions[index % len(extensions)] for index in range(len(request.chunks or []))
            ] if extensions else []
    if any(extension[:1] in (b" ", b"\t") for extension in used):
        # RFC 9112 §7.1.1 allows whitespace (BWS) before a chunk extension's ';';
        # h11 and llhttp are stricter than the RFC here and refuse the chunk.
        with pytest.raises(h11.RemoteProtocolError, match="chunk header"):
            parse_with_h11(wire)
        with pytest.raises(httptools.HttpParserError, match="chunk size"):
            parse_with_httptools(wire)
        return
    assert parse_with_h11(wire) == ours
    assert parse_with_httptools(wire) == ours


def verdict_of_h11(wire: bytes) -> str:
    try:
        return "accepts" if parse_with_h11(wire)["complete"] else "waits"
    except h11.RemoteProtocolError:
        return "refuses"


def verdict_of_httptools(wire: bytes) -> str:
    try:
        return "accepts" if parse_with_httptools(wire)["complete"] else "waits"
    except httptools.HttpParserUpgrade:
        return "upgrade"
    except httptools.HttpParserError:
        return "refuses"


@pytest.mark.parametrize(("name", "wire", "status"), REJECTED, ids=[case[0] for case in REJECTED])
def test_the_table_of_looser_parsers_matches_what_they_do(name, wire, status):
    measured = (verdict_of_h11(wire), verdict_of_httptools(wire))
    assert measured == LOOSER.get(name, ("refuses", "refuses")), (
        f"{name}: h11 {measured[0]}, httptools {measured[1]}; update LOOSER and the table"
    )


class PipelineCollector(HttptoolsCollector):
    """Collects every message of a pipelined stream, as httptools parses them in turn."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict] = []

    def on_message_begin(self) -> None:
        self.url, self.headers, self.trailers, self.body = b"", [], [], b""
        self.head_complete = False

    def on_message_complete(self) -> None:
        self.messages.append({"target": self.url, "headers": self.headers, "body": self.body,
                              "trailers": self.trailers})


@settings(deadline=None, max_examples=100)
@given(pipeline=st.lists(requests(methods=st.sampled_from(STANDARD_METHODS)).filter(
    lambda request: request.version == b"1.1" and not request.extensions), min_size=2, max_size=4),
    data=st.data())
def test_pipelined_requests_split_anywhere_parse_as_httptools_parses_them(pipeline, data):
    wire = b"".join(request.serialize() for request in pipeline)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(wire)), max_size=8))))
    pieces = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True) if b > a]
    collector = PipelineCollector()
    parser = httptools.HttpRequestParser(collector)
    for piece in pieces:
        parser.feed_data(piece)
    ours = []
    for event in parse_pieces(pieces):
        if type(event) is RequestHead:
            ours.append({"target": event.target, "headers": event.headers, "body": b""})
        elif type(event) is BodyData:
            ours[-1]["body"] += event.data
        else:
            ours[-1]["trailers"] = event.trailers
    assert ours == collector.messages
