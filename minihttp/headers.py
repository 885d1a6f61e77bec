"""Field syntax: what a valid header line looks like (RFC 9110 §5, RFC 9112 §5).

Every HTTP/1.1 header (a *field line*) is

    field-line   = field-name ":" OWS field-value OWS        (RFC 9112 §5)
    field-name   = token                                     (RFC 9110 §5.1)
    token        = 1*tchar
    tchar        = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "."
                   / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    field-value  = *field-content                            (RFC 9110 §5.5)
    field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
    field-vchar  = VCHAR / obs-text          (0x21-0x7E and 0x80-0xFF)
    OWS          = *( SP / HTAB )

so a value never starts or ends with whitespace (the OWS around it is not part
of it) and never holds a control character: no NUL, no bare CR, no LF.

How this module checks a whole header block at C speed rather than byte by
byte in Python. A request head that arrives whole is matched in one call by
minihttp.http11's HEAD_PATTERN, built from FIELD_LINE here, which checks
every byte (so nothing else needs checking), and then cut into names and
values by FIELD_LINE_SPLIT_PATTERN: two regex calls, where a pattern per line
or a `translate` pass would add a fixed cost that a short head feels. A head
that arrived in pieces (maybe_split_head) is cut by one regular
expression *split* at every "CRLF name: OWS": the pieces are the request line,
then name, value, name, value... The engine only looks for the next CRLF
between cuts, which is cheaper than matching each line with a pattern (for a
browser's 10 headers, about 2.9 us against 4.0 us for findall on this
machine). Then `translate` deletes every byte a field line may hold, in one C
call: what is left is the CRs, the LFs and any forbidden byte. Exactly one
CRLF per cut left means every line was cut at a valid name and no value holds
a control byte. Trailer sections, and a head the split declined, get the
same check with a line pattern (parse_field_lines): one regular expression
matches one complete line, anchored with `^` (in MULTILINE mode `^` matches
only at the start of the block or right after a LF) and ending in CRLF, with
`.*` for the value (`.` stops at LF, and the regex engine runs `.*` as a tight
loop, about twice as fast as a character class). When the check fails (or a
value ends in whitespace, which neither fast form strips), the strict path
parses line by line and names the first bad line and its fault.

Refused here, each for a reason:

- whitespace between the name and the colon (RFC 9112 §5.1: a server MUST
  reject it with 400) -- proxies disagreed on whether `Content-Length : 5`
  names Content-Length, which is a request-smuggling vector;
- obs-fold, a line that starts with SP or HTAB to continue the previous one
  (RFC 9112 §5.2 lets a server reject it with 400; we do, because folded
  lines are read differently by different parsers);
- empty names, control characters, NUL, bare CR (RFC 9112 §2.2, RFC 9110 §5.5).
"""

from __future__ import annotations

import re

from minihttp.errors import LocalProtocolError, RemoteProtocolError

TOKEN = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+"
FIELD_VALUE = rb"(?:[\x21-\x7e\x80-\xff](?:[ \t\x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?"

TOKEN_PATTERN = re.compile(TOKEN)
# One whole field line by the grammar; the groups are the name and the value
# without OWS. Used to explain a bad line and to check single lines.
FIELD_LINE_PATTERN = re.compile(rb"(" + TOKEN + rb"):[ \t]*(" + FIELD_VALUE + rb")[ \t]*\r\n")
# The fast form for whole blocks: the groups are the name and the value.
# `.` stops at LF, so a match never spans two lines, and `^` in MULTILINE mode
# only matches at a line start. A value ending in OWS fails the look-behind,
# so its line does not match and the block takes the strict path; control
# bytes in a value are caught by the translate check in parse_field_lines.
# (Excluding trailing OWS with `.*?` or `.*[^ \t]` instead makes the regex
# engine backtrack, which doubles its time.)
FAST_FIELD_LINE_PATTERN = re.compile(rb"(?m)^(" + TOKEN + rb"):[ \t]*(.*)(?<![ \t])\r\n")
# The fastest form, for a whole request head: splitting at every "CRLF name:"
# (with the OWS after the colon) leaves [request line, name, value, name,
# value, ...] in one C call. The pattern starts with the literal CRLF, so the
# regex engine jumps from line end to line end instead of trying every byte;
# the look-behind after it refuses to split after a value that ends in OWS
# (placed first, it would cost the engine that jump and triple its time).
HEAD_SPLIT_PATTERN = re.compile(rb"\r\n(?<![ \t]\r\n)(" + TOKEN + rb"):[ \t]*")
# One field line without its CRLF, for a pattern that matches whole heads
# (minihttp.http11's HEAD_PATTERN): a name, a colon, and a value of allowed
# bytes (RFC 9110 §5.5) whose last byte is not SP or HTAB. The OWS before the
# value is left to the value's class (one loop for the regex engine, not two)
# and cut off by FIELD_LINE_SPLIT_PATTERN.
FIELD_LINE = TOKEN + rb"+:[\t\x20-\x7e\x80-\xff]*+(?<![ \t])"  # possessive: see HEAD_PATTERN
# Cuts a block of field lines that FIELD_LINE has already matched, each led by
# its CRLF, into ["", name, value, name, value, ...], the OWS before a value
# cut away with the CRLF and the name.
FIELD_LINE_SPLIT_PATTERN = re.compile(rb"\r\n(" + TOKEN + rb"+):[ \t]*+")
# Every byte a field line may hold apart from its CRLF (RFC 9110 §5.5).
FIELD_LINE_BYTES = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])
OWS = b" \t"
# A field value as a server may *send* it: anything but CR, LF and NUL and other
# controls except HTAB. Checking outgoing values stops response splitting.
SAFE_FIELD_VALUE_PATTERN = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")

# Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in
# brackets, or a reg-name (which also covers IPv4 addresses), then a port.
# The reg-name is written as "characters, then (%XX characters)*" rather than
# "(character | %XX)*": the same language, but the regex engine runs the
# character class as one tight loop instead of trying an alternation per byte.
REG_NAME = rb"[-A-Za-z0-9._~!$&'()*+,;=]*(?:%[0-9A-Fa-f]{2}[-A-Za-z0-9._~!$&'()*+,;=]*)*"
HOST_PATTERN = re.compile(
    rb"(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[-A-Za-z0-9._~!$&'()*+,;=:]+\]|"
    + REG_NAME + rb")(?::[0-9]*)?"
)


def parse_field_lines(
    buffer: bytes | bytearray, start: int, end: int, *, what: str = "header"
) -> list[tuple[bytes, bytes]]:
    """Parse the field lines in `buffer[start:end]` into (lowercased name, value).

    The slice must be whole lines, each ending in CRLF (or be empty). Raises
    RemoteProtocolError(400) naming the first invalid line.
    """
    found = FAST_FIELD_LINE_PATTERN.findall(buffer, start, end)
    block = buffer[start:end]
    # Deleting every allowed byte leaves the CRs, LFs and forbidden bytes. Each
    # matched line holds exactly one CRLF; a line that did not match adds its
    # own LF at least. So exactly two bytes left per match means every line
    # matched and no value holds a control byte, NUL or bare CR.
    if len(block.translate(None, FIELD_LINE_BYTES)) != 2 * len(found):
        return parse_field_lines_strictly(bytes(block), what)
    return [(name.lower(), value) for name, value in found]


def maybe_split_head(head: bytes | bytearray) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """Split a request head, without its final CRLF CRLF, into (request line, headers).

    `headers` holds (lowercased name, value) pairs as parse_field_lines gives.
    Returns None when some field line is not the plain valid kind (a fault, or a
    value with trailing OWS): the caller then parses line by line, which strips
    the OWS or names the fault. The request line is returned unchecked; `head`
    must not be empty.
    """
    parts = HEAD_SPLIT_PATTERN.split(head)
    # The head holds one CRLF per field line, in front of it. Deleting every
    # allowed byte leaves the CRLFs and any forbidden byte; each split consumed
    # one CRLF and made two parts. So len(parts) - 1 bytes left means every
    # CRLF led a valid "name:" and no byte anywhere is a control, NUL, bare CR
    # or bare LF. The last value has no CRLF after it for the look-behind.
    if len(head.translate(None, FIELD_LINE_BYTES)) != len(parts) - 1 or head[-1] in OWS:
        return None
    # zip takes a name through map() and then its value from the same iterator,
    # so the pairs come out without two slices of `parts`. (zip(strict=True) is
    # not needed, 1 + 2n parts pair up exactly, and a keyword call costs more
    # than the zip itself.)
    rest = iter(parts)
    request_line = next(rest)
    return request_line, list(zip(map(bytes.lower, rest), rest))  # noqa: B905


def parse_field_lines_strictly(block: bytes, what: str) -> list[tuple[bytes, bytes]]:
    """The slow path, line by line: values with trailing OWS, or an invalid line (400)."""
    fields = []
    for line in block.split(b"\n")[:-1]:
        match = FIELD_LINE_PATTERN.fullmatch(line + b"\n")
        if match is None:
            raise RemoteProtocolError(400, describe_invalid_line(line, what))
        fields.append((match.group(1).lower(), match.group(2)))
    return fields


def describe_invalid_line(line: bytes, what: str) -> str:
    """Name the rule that `line` (without its LF) breaks, in words a person can act on."""
    shown = repr(line[:80])
    if not line.endswith(b"\r"):
        return (
            f"{what} line {shown} ends in a bare LF: end every line with CRLF (RFC 9112 §2.2)"
        )
    line = line[:-1]
    if b"\r" in line:
        return f"{what} line {shown} contains a bare CR: CR is allowed only before LF"
    if line[:1] in (b" ", b"\t"):
        return (
            f"{what} line {shown} starts with whitespace (obs-fold, RFC 9112 §5.2): "
            "line folding is not accepted; send the value on one line"
        )
    name, colon, value = line.partition(b":")
    if not colon:
        return f"{what} line {shown} has no colon: write 'Name: value'"
    if not name:
        return f"{what} line {shown} has an empty field name"
    if name != name.rstrip(b" \t"):
        return (
            f"{what} line {shown} has whitespace between the field name and the colon, "
            "which RFC 9112 §5.1 forbids: write 'Name: value'"
        )
    if not TOKEN_PATTERN.fullmatch(name):
        return f"{what} name {name[:80]!r} is not a token (RFC 9110 §5.1)"
    return (
        f"{what} value in {shown} contains a control character (NUL, CR, LF or another "
        "byte below 0x20 other than tab), which RFC 9110 §5.5 forbids"
    )


def split_list(value: bytes) -> list[bytes]:
    """Split a comma-separated list field into lowercased members (RFC 9110 §5.6.1).

    Several field lines of the same name are one list joined by commas
    (RFC 9110 §5.3); empty members (`a, , b`) are ignored as §5.6.1 requires.
    """
    members = []
    for member in value.split(b","):
        member = member.strip(b" \t")
        if member:
            members.append(member.lower())
    return members


# Outgoing field lines already checked, finished: (name, value) -> (lowercased
# name, b"name: value\r\n"). Responses repeat the same lines (content-type,
# cache-control, a route's fixed headers), so a line is checked and built once
# and later responses only look it up: about 300 instructions a line instead
# of a join and a scan of the whole head. Bounded, so that lines that never
# repeat (a fresh cookie) cost a check each time but never unbounded memory.
CHECKED_LINES_LIMIT = 4096
MAX_CHECKED_LINE_VALUE = 256  # longer values are checked each time, not kept
checked_lines: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}


def outgoing_line(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """(lowercased name, the field line to send); LocalProtocolError if unsafe.

    Refuses a name that is not a token and a value with CR, LF, NUL or another
    control: see check_outgoing_field.
    """
    key = (name, value)
    try:
        known = checked_lines.get(key)
    except TypeError:  # a bytearray, or a str in a list: unhashable, and not bytes either
        known = None
    if known is not None:
        return known
    check_outgoing_field(name, value)
    known = (name.lower(), name + b": " + value + b"\r\n")
    if len(checked_lines) < CHECKED_LINES_LIMIT and len(value) <= MAX_CHECKED_LINE_VALUE:
        checked_lines[key] = known
    return known


def check_outgoing_field(name: bytes, value: bytes) -> None:
    """Raise LocalProtocolError unless (name, value) is safe to send.

    A CR or LF in a value would end the header early and let whoever chose the
    value write headers or a body of their own (response splitting, CWE-113).
    """
    if not isinstance(name, bytes) or not isinstance(value, bytes):
        raise LocalProtocolError(
            f"header {name!r}: {value!r} must be a pair of bytes, e.g. (b'content-type', b'text/plain')"
        )
    if not TOKEN_PATTERN.fullmatch(name):
        raise LocalProtocolError(
            f"header name {name!r} is not a token (RFC 9110 §5.1): use letters, digits "
            "and -!#$%&'*+.^_`|~ only"
        )
    if not SAFE_FIELD_VALUE_PATTERN.fullmatch(value):
        raise LocalProtocolError(
            f"header {name.decode()!r} has value {value!r} with CR, LF, NUL or another control "
            "character; that would split the response (CWE-113): remove or encode it"
        )
