"""What a request head means: target form, Host, body length, keep-alive, Expect.

`minihttp.http11` finds the request line and the field lines in the bytes;
this module applies the rules of RFC 9112 and RFC 9110 to what was found and
returns a `RequestHead` that says everything the server needs to act on:

- the request-target's form matches the method (RFC 9112 §3.2): origin-form
  `/path?query` for most requests, absolute-form `http://host/path` (sent to
  proxies), authority-form `host:port` only for CONNECT, asterisk-form `*`
  only for OPTIONS;
- HTTP/1.0 or HTTP/1.1, anything else 505 (RFC 9110 §15.6.6);
- Host: exactly one in HTTP/1.1, at most one in HTTP/1.0, and valid
  (RFC 9112 §3.2 says MUST answer 400 otherwise);
- the body's length, by Transfer-Encoding or Content-Length, with every
  ambiguity refused (RFC 9112 §6; the list of smuggling vectors and why each
  is refused is in minihttp.http11's docstring);
- keep-alive (RFC 9112 §9.3): HTTP/1.1 keeps the connection unless
  `Connection: close`; HTTP/1.0 closes unless `Connection: keep-alive`;
- Expect: `100-continue` is noted for the server, which decides whether to
  send `100 Continue` (RFC 9110 §10.1.1); a 1.0 request's Expect is ignored,
  as that section requires; any other expectation is answered 417.
"""

from __future__ import annotations

import re

from minihttp.errors import RemoteProtocolError
from minihttp.headers import HOST_PATTERN, TOKEN, split_list

AUTHORITY_FORM_PATTERN = re.compile(
    rb"(?:\[[0-9A-Fa-f:.]+\]|(?:[-A-Za-z0-9._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+):[0-9]+"
)
ABSOLUTE_FORM_PATTERN = re.compile(rb"[A-Za-z][-A-Za-z0-9+.]*:[\x21-\x7e]*")
DIGITS_PATTERN = re.compile(rb"[0-9]+")
TOKEN_PATTERN = re.compile(TOKEN)
VERSION_PATTERN = re.compile(rb"HTTP/[0-9]\.[0-9]")
# Host values already found valid. A server hears the same few hosts on every
# request, so each is checked once, not once per request: a set lookup instead
# of HOST_PATTERN (wrk's "127.0.0.1:8000": 40.3k -> 35.4k instructions a parse).
# Bounded, so a client that makes up hosts costs a check each time but never
# unbounded memory (as minihttp.headers does with outgoing lines).
VALID_HOSTS_LIMIT = 1024
valid_hosts: set[bytes] = set()
# Longer than any real body, and short enough that a 64-bit length in a C proxy
# in front of us cannot overflow on the same digits.
MAX_CONTENT_LENGTH_DIGITS = 18


class RequestHead:
    """A parsed request line and header block, plus what they imply.

    `headers` keeps every field line in order with lowercased names and values
    stripped of surrounding whitespace. `keep_alive` says whether the client
    allows another request on this connection; `content_length` and `chunked`
    say how the body is framed (neither: no body).
    """

    __slots__ = (
        "method", "target", "http_version", "headers",
        "keep_alive", "expect_continue", "content_length", "chunked",
    )

    def __init__(
        self,
        method: bytes,
        target: bytes,
        http_version: bytes,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool = True,
        expect_continue: bool = False,
        content_length: int | None = None,
        chunked: bool = False,
    ) -> None:
        self.method = method
        self.target = target
        self.http_version = http_version
        self.headers = headers
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.content_length = content_length
        self.chunked = chunked

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is RequestHead and other._fields() == self._fields()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"RequestHead({fields})"


def interpret_head(
    method: bytes,
    target: bytes,
    version: bytes,
    headers: list[tuple[bytes, bytes]],
    max_body_size: int | None,
) -> RequestHead:
    """Apply the rules of the module docstring; raise RemoteProtocolError if one fails."""
    if version != b"1.1" and version != b"1.0":
        raise RemoteProtocolError(
            505, f"HTTP/{version.decode()} is not supported: send HTTP/1.1 or HTTP/1.0"
        )
    if target[:1] != b"/" or method == b"CONNECT":
        check_target_form(method, target)
    fields = dict(headers)
    if len(fields) != len(headers):  # a name repeats (rare): join its lines
        fields = combine_field_lines(headers)
    host = fields.get(b"host")
    if host not in valid_hosts:
        check_host(version, host)  # raises, unless an HTTP/1.0 request has no Host
    if b"content-length" in fields or b"transfer-encoding" in fields:
        content_length, chunked = message_length(
            version, fields.get(b"content-length"), fields.get(b"transfer-encoding"),
            max_body_size,
        )
    else:
        content_length, chunked = None, False  # RFC 9112 §6.3 item 7: no body
    connection = fields.get(b"connection")
    if connection is None:
        keep_alive = version == b"1.1"
    elif connection == b"keep-alive":  # what browsers send, spelled as they spell it
        keep_alive = True
    else:
        keep_alive = wants_keep_alive(version, connection)
    expect_continue = (
        b"expect" in fields and version == b"1.1" and wants_continue(fields[b"expect"])
    )
    return RequestHead(
        method, target, version, headers, keep_alive, expect_continue, content_length, chunked
    )


def combine_field_lines(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """One value per name, repeated lines joined by ", " as RFC 9110 §5.3 allows.

    Host is the exception: it is not a list, and two Host lines are a 400
    (RFC 9112 §3.2), because a proxy might route by one and the app by the other.
    """
    fields: dict[bytes, bytes] = {}
    for name, value in headers:
        if name not in fields:
            fields[name] = value
        elif name == b"host":
            raise RemoteProtocolError(
                400, "request has more than one Host header: send exactly one (RFC 9112 §3.2)"
            )
        else:
            fields[name] += b", " + value
    return fields


def wants_keep_alive(version: bytes, connection: bytes) -> bool:
    """Keep-alive by RFC 9112 §9.3: `close` ends it; HTTP/1.0 needs `keep-alive`."""
    option = connection.lower()
    if option == b"keep-alive":  # what browsers send: one option, no list to split
        return True
    if option == b"close":
        return False
    options = split_list(connection)
    return b"close" not in options and (version == b"1.1" or b"keep-alive" in options)


def check_target_form(method: bytes, target: bytes) -> None:
    """Raise 400 unless `target` is in a form RFC 9112 §3.2 allows for `method`."""
    if method == b"CONNECT":
        if not AUTHORITY_FORM_PATTERN.fullmatch(target):
            raise RemoteProtocolError(
                400, f"CONNECT needs an authority-form target 'host:port', got {target[:80]!r}"
            )
    elif target == b"*":
        if method != b"OPTIONS":
            raise RemoteProtocolError(
                400, f"the asterisk-form target '*' is only for OPTIONS, not {method[:20]!r}"
            )
    elif not ABSOLUTE_FORM_PATTERN.fullmatch(target):
        raise RemoteProtocolError(
            400, f"request target {target[:80]!r} must start with '/' (origin-form) or be "
            "an absolute URI such as 'http://example.com/' (absolute-form)"
        )


def check_host(version: bytes, host: bytes | None) -> None:
    """Raise 400 for a missing (in HTTP/1.1) or malformed Host (RFC 9112 §3.2).

    A valid Host is remembered in `valid_hosts`, so that the next request
    naming it skips the check.
    """
    if host is None:
        if version == b"1.1":
            raise RemoteProtocolError(
                400, "HTTP/1.1 request has no Host header: add 'Host: example.com' "
                "(RFC 9112 §3.2 requires it)"
            )
    elif not HOST_PATTERN.fullmatch(host):
        raise RemoteProtocolError(
            400, f"Host value {host[:80]!r} is not 'name' or 'name:port' (RFC 9110 §7.2)"
        )
    elif len(valid_hosts) < VALID_HOSTS_LIMIT:
        valid_hosts.add(host)


def message_length(
    version: bytes, length: bytes | None, coding: bytes | None, max_body_size: int | None
) -> tuple[int | None, bool]:
    """Return (content_length, chunked) for a request with either field, by RFC 9112 §6.3."""
    if coding is not None:
        return None, check_transfer_encoding(version, length, coding)
    if length.isdigit() and len(length) <= MAX_CONTENT_LENGTH_DIGITS:
        content_length = int(length)  # the common case: one plain number
    else:
        content_length = check_content_length_list(length)
    if max_body_size is not None and content_length > max_body_size:
        raise RemoteProtocolError(
            413, f"Content-Length {content_length} is over this server's limit of "
            f"{max_body_size} bytes"
        )
    return content_length, False


def check_content_length_list(length: bytes) -> int:
    """Read `3, 3` (equal values, RFC 9110 §8.6) or raise 400 / 413."""
    members = [member.strip(b" \t") for member in length.split(b",")]
    for member in members:
        if not DIGITS_PATTERN.fullmatch(member):
            raise RemoteProtocolError(
                400, f"Content-Length {length[:80]!r} is not a decimal number of bytes: "
                "send digits only, e.g. 'Content-Length: 42'"
            )
    if len(set(members)) > 1:
        raise RemoteProtocolError(
            400, f"Content-Length values {length[:80]!r} differ, so the body length is "
            "ambiguous: send one Content-Length"
        )
    digits = members[0]
    if len(digits.lstrip(b"0")) > MAX_CONTENT_LENGTH_DIGITS:
        raise RemoteProtocolError(413, f"Content-Length {digits[:40]!r} is too large")
    return int(digits)


def check_transfer_encoding(version: bytes, length: bytes | None, coding: bytes) -> bool:
    """Return True when Transfer-Encoding is exactly `chunked`; raise otherwise."""
    if version == b"1.0":
        raise RemoteProtocolError(
            400, "Transfer-Encoding in an HTTP/1.0 request: HTTP/1.0 has no transfer codings "
            "(RFC 9112 §6.1); send Content-Length or use HTTP/1.1"
        )
    if length is not None:
        raise RemoteProtocolError(
            400, "request has both Transfer-Encoding and Content-Length, so its length is "
            "ambiguous (a request-smuggling vector, RFC 9112 §6.1): send only one"
        )
    members = split_list(coding)
    if not members or members[-1] != b"chunked":
        raise RemoteProtocolError(
            400, f"Transfer-Encoding {coding[:80]!r} does not end in 'chunked', "
            "so the body length cannot be determined (RFC 9112 §6.3)"
        )
    if members.count(b"chunked") > 1:
        raise RemoteProtocolError(
            400, "Transfer-Encoding applies 'chunked' more than once (RFC 9112 §7.1 forbids it)"
        )
    if len(members) > 1:
        raise RemoteProtocolError(
            501, f"transfer codings {b', '.join(members[:-1])[:80]!r} before 'chunked' are "
            "not implemented: send the body with Transfer-Encoding: chunked alone"
        )
    return True


def wants_continue(expect: bytes) -> bool:
    """True for `Expect: 100-continue`; 417 for any expectation we cannot meet."""
    for member in split_list(expect):
        if member != b"100-continue":
            raise RemoteProtocolError(
                417, f"expectation {member[:40]!r} cannot be met: only '100-continue' is supported"
            )
    return True


def describe_request_line(line: bytes) -> str:
    """Say why `line` is not `method SP request-target SP HTTP-version`."""
    shown = repr(line[:100])
    if b"\r" in line or b"\n" in line:
        return f"request line {shown} contains a bare CR or LF: end it with CRLF"
    parts = line.split(b" ")
    if len(parts) != 3:
        return (
            f"request line {shown} must be three parts separated by single spaces, "
            "e.g. 'GET /index.html HTTP/1.1'"
        )
    method, target, version = parts
    if not TOKEN_PATTERN.fullmatch(method):
        return f"method {method[:40]!r} is not a token (RFC 9110 §9.1): e.g. GET or POST"
    if not VERSION_PATTERN.fullmatch(version):
        return f"HTTP version {version[:40]!r} must look like 'HTTP/1.1' (RFC 9112 §2.3)"
    return (
        f"request target {target[:80]!r} contains a control character or a byte above "
        "0x7E: percent-encode it (RFC 3986 §2.1)"
    )
