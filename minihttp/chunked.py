"""Chunked transfer coding: the grammar and the encoder (RFC 9112 §7.1).

A body of unknown length travels as chunks, each led by its size in hex, and
ends with a zero-size chunk and optional trailer fields:

    chunked-body   = *chunk last-chunk trailer-section CRLF
    chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    chunk-size     = 1*HEXDIG
    last-chunk     = 1*("0") [ chunk-ext ] CRLF
    chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    chunk-ext-val  = token / quoted-string

    5\\r\\nhello\\r\\n0\\r\\n\\r\\n     is the body "hello", in one chunk.

The incremental decoder is a set of states inside `minihttp.http11.RequestParser`
(CHUNK_SIZE -> CHUNK_DATA -> CHUNK_DATA_END -> ... -> TRAILERS); this module
holds the pieces that do not need the buffer: reading one size line, and
writing chunks.

Refused on purpose, each because two parsers reading the same bytes
differently is how request smuggling starts:

- a size with a sign, `0x`, spaces between the digits, or whitespace after
  the digits that is not followed by `;` (RFC 9112 §7.1 allows none of these);
- a size with more than 16 significant hex digits: Python's integers cannot
  overflow, but a C proxy in front of us would wrap a 2**64 size to a small
  number and see a different message boundary; no real body is that large;
- chunk extensions that do not follow the grammar. Valid extensions are
  ignored, as RFC 9112 §7.1.1 says a recipient MUST ignore unknown ones.
"""

from __future__ import annotations

import re

from minihttp.errors import RemoteProtocolError
from minihttp.headers import TOKEN

QUOTED_STRING = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
CHUNK_EXTENSION = (
    rb"[ \t]*;[ \t]*" + TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + TOKEN + rb"|" + QUOTED_STRING + rb"))?"
)
# Leading zeros are legal ("000a" is 10) and do not count towards the 16 digits.
CHUNK_SIZE_LINE_PATTERN = re.compile(
    rb"0*([0-9A-Fa-f]{1,16})(?:" + CHUNK_EXTENSION + rb")*"
)
MAX_CHUNK_SIZE_DIGITS = 16
HEX_DIGITS = b"0123456789abcdefABCDEF"

LAST_CHUNK = b"0\r\n\r\n"


def parse_chunk_size_line(buffer: bytes | bytearray, start: int, end: int) -> int:
    """Return the chunk size written in `buffer[start:end]` (the line without CRLF).

    Raises RemoteProtocolError(400) saying what is wrong with the line.
    """
    match = CHUNK_SIZE_LINE_PATTERN.fullmatch(buffer, start, end)
    if match is None:
        raise RemoteProtocolError(400, explain_invalid_chunk_size_line(bytes(buffer[start:end])))
    return int(match.group(1), 16)


def explain_invalid_chunk_size_line(line: bytes) -> str:
    """Say why `line` is not `chunk-size [ chunk-ext ]`."""
    shown = repr(line[:80])
    if b"\r" in line or b"\n" in line:
        return f"chunk size line {shown} contains a bare CR or LF: end it with CRLF"
    if not line or line[:1] not in HEX_DIGITS:
        return (
            f"chunk size line {shown} must start with the size in hex digits "
            "(no sign, no '0x', no spaces), e.g. b'1a\\r\\n'"
        )
    if line[1:2] in (b"x", b"X"):
        return f"chunk size line {shown} has a '0x' prefix: write the size as bare hex, e.g. b'1a'"
    size, semicolon, _ = line.partition(b";")
    if not semicolon and size != size.rstrip(b" \t"):
        return f"chunk size line {shown} has whitespace after the size, allowed only before ';'"
    size = size.rstrip(b" \t").lstrip(b"0")
    if len(size) > MAX_CHUNK_SIZE_DIGITS and not size.strip(HEX_DIGITS):
        return (
            f"chunk size {size[:40]!r} has more than {MAX_CHUNK_SIZE_DIGITS} hex digits; "
            "a size that large would overflow other parsers, so it is refused"
        )
    return (
        f"chunk size line {shown} is not hex digits followed by optional "
        "';name=value' extensions (RFC 9112 §7.1)"
    )


def encode_chunk(data: bytes) -> bytes:
    """Frame `data` as one chunk; an empty `data` gives b"" (an empty chunk would end the body)."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)
