"""Submitted forms: application/x-www-form-urlencoded and multipart/form-data.

A browser submits an HTML form in one of two encodings (HTML §4.10.21.7):

1. application/x-www-form-urlencoded - `name=Ada+L&tags=a&tags=b`, the
   same syntax as a query string (the URL Standard §5). Parsed by the standard
   library's parse_qsl.
2. multipart/form-data (RFC 7578), needed for files. The body is split into
   parts by a boundary the client picked (RFC 2046 §5.1.1):

       --BOUNDARY\r\n
       Content-Disposition: form-data; name="title"\r\n
       \r\n
       Hello\r\n
       --BOUNDARY\r\n
       Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n
       Content-Type: text/plain\r\n
       \r\n
       ...file bytes...\r\n
       --BOUNDARY--\r\n

`MultipartParser` is sans-I/O: feed() it any split of the body and it returns
events; it never reads a socket. Its states form a table:

| state     | waits for                         | then                         |
|-----------|-----------------------------------|------------------------------|
| PREAMBLE  | "--BOUNDARY" + CRLF               | HEADERS                      |
| HEADERS   | a blank line (CRLF CRLF)          | DATA, emitting PartStarted   |
| DATA      | CRLF "--BOUNDARY", then CRLF/"--" | HEADERS or EPILOGUE, emitting|
|           |                                   | PartData* then PartEnded     |
| EPILOGUE  | nothing: the rest is ignored      | -                            |

Part data is emitted as it arrives except for the last len(delimiter) bytes,
which might be the start of the next delimiter. Limits (parts, header size)
protect the server: a body that breaks them, or the syntax, raises FormError,
which the framework answers with 400 Bad Request.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote

from miniasgi.datastructures import FormData, Headers, UploadFile
from miniasgi.validation import ValidationError

MAX_PARTS = 1000          # Starlette's default limits for files and fields combined
MAX_HEADER_BYTES = 16 * 1024
MAX_FIELD_BYTES = 1024 * 1024  # a text field (not a file) larger than this is refused


class FormError(ValueError):
    """The form body is malformed or too large: the client's fault (answer 400)."""


@dataclass
class PartStarted:
    name: str
    filename: str | None
    headers: Headers


@dataclass
class PartData:
    data: bytes


@dataclass
class PartEnded:
    pass


def parse_options_header(value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="a"; filename="b c"` -> ("form-data", {"name": "a", "filename": "b c"}).

    Handles quoted strings with backslash escapes (RFC 9110 §5.6.4) and
    `filename*=utf-8''...` extended values (RFC 8187), which win over `filename`.
    """
    main, _, rest = value.partition(";")
    options: dict[str, str] = {}
    position = 0
    while position < len(rest):
        equals = rest.find("=", position)
        if equals == -1:
            break
        key = rest[position:equals].strip(" \t;").lower()
        position = equals + 1
        if position < len(rest) and rest[position] == '"':
            text, position = _quoted_string(rest, position + 1)
        else:
            end = rest.find(";", position)
            end = len(rest) if end == -1 else end
            text, position = rest[position:end].strip(), end
        position = rest.find(";", position)
        position = len(rest) if position == -1 else position + 1
        if key.endswith("*"):
            _, _, encoded = text.partition("''")
            key, text = key[:-1], unquote(encoded or text)
            options["*" + key] = text
        options.setdefault(key, text)
    for key in [key for key in options if key.startswith("*")]:
        options[key[1:]] = options.pop(key)
    return main.strip().lower(), options


def _quoted_string(text: str, position: int) -> tuple[str, int]:
    characters = []
    while position < len(text):
        character = text[position]
        if character == "\\" and position + 1 < len(text):
            characters.append(text[position + 1])
            position += 2
            continue
        if character == '"':
            return "".join(characters), position + 1
        characters.append(character)
        position += 1
    raise FormError("a quoted parameter in a multipart header is not closed")


class MultipartParser:
    """Incremental multipart/form-data parser: feed(bytes) -> events (see the module docstring)."""

    def __init__(self, boundary: bytes, *, max_parts: int = MAX_PARTS):
        if not boundary or len(boundary) > 70:  # RFC 2046 §5.1.1: 1 to 70 characters
            raise FormError("the multipart boundary must be 1 to 70 characters long")
        self.first_delimiter = b"--" + boundary
        self.delimiter = b"\r\n--" + boundary
        self.state = "PREAMBLE"
        self.buffer = bytearray()
        self.parts = 0
        self.max_parts = max_parts
        # The preamble's delimiter may start the body, or follow a CRLF.
        self.buffer += b"\r\n"

    def feed(self, data: bytes) -> list:
        """Take the next bytes of the body; return the events they complete."""
        self.buffer += data
        events: list = []
        while True:
            step = STATE_STEPS[self.state]
            if not step(self, events):
                return events

    def close(self) -> None:
        """The body ended: raise FormError unless the closing delimiter was seen."""
        if self.state != "EPILOGUE":
            raise FormError("the multipart body ended before its closing boundary "
                            "('--BOUNDARY--'): the upload was cut short or malformed")

    def _preamble(self, events: list) -> bool:
        index = self.buffer.find(self.delimiter)
        if index == -1:
            keep = len(self.delimiter)
            del self.buffer[:-keep or None]  # discard the preamble, keep a possible prefix
            return False
        return self._after_delimiter(index, events, emit_end=False)

    def _after_delimiter(self, index: int, events: list, *, emit_end: bool) -> bool:
        """At a delimiter: "--" closes the body, else the rest of the line must be blank."""
        after = index + len(self.delimiter)
        if len(self.buffer) < after + 2:
            return False
        if self.buffer[after:after + 2] == b"--":
            next_state = "EPILOGUE"
        else:
            # Transport padding (spaces/tabs) may follow the delimiter (RFC 2046 §5.1.1).
            line_end = self.buffer.find(b"\r\n", after)
            if line_end == -1:
                return False
            if self.buffer[after:line_end].strip(b" \t"):
                raise FormError("unexpected bytes after a multipart boundary")
            next_state = "HEADERS"
        if emit_end:
            events.append(PartEnded())
        if next_state == "EPILOGUE":
            self.buffer.clear()
        else:
            del self.buffer[:line_end + 2]
        self.state = next_state
        return next_state == "HEADERS"

    def _headers(self, events: list) -> bool:
        index = self.buffer.find(b"\r\n\r\n")
        if index == -1:
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise FormError(f"a multipart part's header is over {MAX_HEADER_BYTES} bytes")
            if self.buffer.startswith(b"\r\n"):  # a part with no header lines at all
                index = -2
            else:
                return False
        raw = bytes(self.buffer[:index]) if index > 0 else b""
        del self.buffer[:index + 4]
        self.parts += 1
        if self.parts > self.max_parts:
            raise FormError(f"the form has more than {self.max_parts} parts")
        events.append(_part_started(raw))
        self.state = "DATA"
        return True

    def _data(self, events: list) -> bool:
        index = self.buffer.find(self.delimiter)
        if index == -1:
            safe = len(self.buffer) - len(self.delimiter) - 1
            if safe > 0:
                events.append(PartData(bytes(self.buffer[:safe])))
                del self.buffer[:safe]
            return False
        if index:
            events.append(PartData(bytes(self.buffer[:index])))
            del self.buffer[:index]
        return self._after_delimiter(0, events, emit_end=True)

    def _epilogue(self, events: list) -> bool:
        self.buffer.clear()
        return False


STATE_STEPS = {
    "PREAMBLE": MultipartParser._preamble,
    "HEADERS": MultipartParser._headers,
    "DATA": MultipartParser._data,
    "EPILOGUE": MultipartParser._epilogue,
}


def _part_started(raw: bytes) -> PartStarted:
    pairs = []
    for line in raw.split(b"\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise FormError(f"malformed multipart header line {line[:60]!r}: expected "
                            "'Name: value'")
        pairs.append((name.strip().lower(), value.strip()))
    headers = Headers(raw=pairs)
    disposition, options = parse_options_header(
        headers.get("content-disposition", "").encode("latin-1").decode("utf-8", "replace"))
    if disposition != "form-data" or "name" not in options:
        raise FormError('each multipart part needs Content-Disposition: form-data; name="..." '
                        "(RFC 7578 §4.2)")
    return PartStarted(options["name"], options.get("filename"), headers)


class FormBuilder:
    """Feed a multipart body piece by piece; files go straight into their UploadFile
    (spooled to disk when large), so the whole body is never held in memory at once."""

    def __init__(self, boundary: bytes, *, max_field_bytes: int = MAX_FIELD_BYTES):
        self.parser = MultipartParser(boundary)
        self.fields: list[tuple[str, object]] = []
        self.current: PartStarted | None = None
        self.chunks: list[bytes] = []
        self.field_bytes = 0
        self.max_field_bytes = max_field_bytes
        self.upload: UploadFile | None = None

    def feed(self, data: bytes) -> None:
        for event in self.parser.feed(data):
            if isinstance(event, PartStarted):
                self._start(event)
            elif isinstance(event, PartData):
                self._data(event.data)
            elif isinstance(event, PartEnded):
                self._end()

    def _start(self, event: PartStarted) -> None:
        self.current, self.chunks, self.field_bytes, self.upload = event, [], 0, None
        if event.filename is not None:
            self.upload = UploadFile(filename=event.filename, headers=event.headers, size=0)

    def _data(self, data: bytes) -> None:
        if self.upload is not None:
            self.upload.file.write(data)
            self.upload.size += len(data)
            return
        self.field_bytes += len(data)
        if self.field_bytes > self.max_field_bytes:  # text fields stay in memory: cap them
            raise FormError(f"form field {self.current.name!r} is over "
                            f"{self.max_field_bytes} bytes: send large values as a file")
        self.chunks.append(data)

    def _end(self) -> None:
        if self.upload is not None:
            self.upload.file.seek(0)
            self.fields.append((self.current.name, self.upload))
        else:
            self.fields.append((self.current.name,
                                b"".join(self.chunks).decode("utf-8", "replace")))

    def close(self) -> FormData:
        """The body ended: the form, or FormError if it was cut short."""
        self.parser.close()
        return FormData(self.fields)


def parse_multipart(boundary: bytes, body: bytes) -> FormData:
    """A whole multipart/form-data body -> FormData (files as UploadFile)."""
    builder = FormBuilder(boundary)
    builder.feed(body)
    return builder.close()


def multipart_boundary(content_type: str) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type, None for other media types."""
    media_type, options = parse_options_header(content_type)
    if media_type != "multipart/form-data":
        return None
    boundary = options.get("boundary")
    if not boundary:
        raise FormError("multipart/form-data without a boundary parameter in Content-Type")
    return boundary.encode("latin-1")


def parse_form(content_type: str, body: bytes) -> FormData:
    """Parse a form body by its Content-Type; an unknown type gives an empty form."""
    boundary = multipart_boundary(content_type)
    if boundary is not None:
        return parse_multipart(boundary, body)
    media_type, _ = parse_options_header(content_type)
    if media_type == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", "replace")
        return FormData(parse_qsl(text, keep_blank_values=True))
    return FormData()


# ---- form values as endpoint parameters ------------------------------------------------------
#
# `file: UploadFile`, `data: bytes = File()` and `files: list[UploadFile]` are read from
# the parsed form; these helpers tell the dependency planner (miniasgi.dependencies) what
# shape of file a parameter wants, and turn form values into it.


def _without_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def file_kind(annotation: Any) -> str | None:
    """"upload" or "upload_list" for UploadFile-shaped annotations (Optional allowed), else None."""
    annotation = _without_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
        return file_kind(members[0]) if len(members) == 1 else None
    if origin in (list, tuple, set):
        inner = file_kind(typing.get_args(annotation)[0]) if typing.get_args(annotation) else None
        return inner + "_list" if inner == "upload" else None
    if isinstance(annotation, type) and issubclass(annotation, UploadFile):
        return "upload"
    return None


def is_bytes_annotation(annotation: Any) -> bool:
    """bytes, or a container of bytes (list[bytes]): File() then hands over the content."""
    annotation = _without_annotated(annotation)
    arguments = typing.get_args(annotation)
    return annotation is bytes or (bool(arguments) and arguments[0] is bytes)


def file_validator(kind: str) -> Callable:
    """validator(value, loc) requiring an UploadFile (or a list of them), FastAPI's error."""
    def validate(value, loc=()):
        items = value if kind.endswith("_list") else [value]
        for item in items:
            if not isinstance(item, UploadFile):
                raise ValidationError([{
                    "type": "value_error", "loc": list(loc),
                    "msg": f"Value error, Expected UploadFile, received: {type(item)}",
                    "input": item, "ctx": {"error": {}}}])
        return value

    return validate


def is_empty_input(item: Any) -> bool:
    """An empty text field or a file input left empty: the browser's way of "not sent"."""
    return item == "" or (isinstance(item, UploadFile) and not item.filename and not item.size)


async def file_bytes(raw: Any) -> Any:
    """The content of an uploaded file (or of each, for a list), for `data: bytes = File()`."""
    items = raw if isinstance(raw, list) else [raw]
    contents = []
    for item in items:
        if isinstance(item, UploadFile):
            await item.seek(0)
            contents.append(await item.read())
        else:
            contents.append(item.encode("utf-8") if isinstance(item, str) else item)
    return contents if isinstance(raw, list) else contents[0]
