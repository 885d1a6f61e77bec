"""Forms: urlencoded and multipart/form-data (RFC 7578), the sans-I/O parser and endpoints."""

from typing import Annotated

import fastapi
import pytest
from fastapi.testclient import TestClient as FastAPITestClient
from hypothesis import given, settings
from hypothesis import strategies as st

import miniasgi
from miniasgi.forms import (
    FormError,
    MultipartParser,
    PartData,
    parse_form,
    parse_options_header,
)
from miniasgi.testclient import TestClient

BODY = (
    b"preamble to ignore\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="title"\r\n'
    b"\r\n"
    b"Hello, w\xc3\xb6rld\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="upload"; filename="notes.txt"\r\n'
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"line one\r\n--not the boundary\r\nline two\r\n"
    b"--XyZ--\r\n"
    b"epilogue to ignore"
)


def events_of(chunks):
    parser = MultipartParser(b"XyZ")
    events = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    parser.close()
    return events


def normalized(events):
    """Adjacent PartData merged: how data is split is the parser's business."""
    merged = []
    for event in events:
        if isinstance(event, PartData) and merged and isinstance(merged[-1], PartData):
            merged[-1] = PartData(merged[-1].data + event.data)
        else:
            merged.append(event)
    return [(type(e).__name__, getattr(e, "name", None), getattr(e, "filename", None),
             getattr(e, "data", None)) for e in merged]


EXPECTED = [
    ("PartStarted", "title", None, None),
    ("PartData", None, None, "Hello, wörld".encode()),
    ("PartEnded", None, None, None),
    ("PartStarted", "upload", "notes.txt", None),
    ("PartData", None, None, b"line one\r\n--not the boundary\r\nline two"),
    ("PartEnded", None, None, None),
]


def test_the_parser_turns_a_whole_body_into_events():
    assert normalized(events_of([BODY])) == EXPECTED


def test_the_parser_gives_the_same_events_fed_one_byte_at_a_time():
    assert normalized(events_of([BODY[i:i + 1] for i in range(len(BODY))])) == EXPECTED


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=12))
def test_any_split_of_the_body_gives_the_same_events(cuts):
    points = [0, *sorted(cuts), len(BODY)]
    chunks = [BODY[a:b] for a, b in zip(points, points[1:], strict=False)]
    assert normalized(events_of(chunks)) == EXPECTED


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abcdefgh", min_size=1, max_size=8),
                          st.binary(max_size=200)), min_size=1, max_size=5))
def test_any_fields_survive_a_round_trip_through_encoding_and_parsing(fields):
    boundary = b"b0undary-1234567890"
    body = b"".join(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="'
                    + name.encode() + b'"; filename="f"\r\n\r\n' + data + b"\r\n"
                    for name, data in fields) + b"--" + boundary + b"--\r\n"
    form = parse_form("multipart/form-data; boundary=" + boundary.decode(), body)
    parsed = [(name, upload.file.read()) for name, upload in form.multi_items()]
    assert parsed == fields


@pytest.mark.parametrize(("body", "complaint"), [
    (b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "name="),
    (b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "closing boundary"),
    (b"--XyZ\r\nbroken header line\r\n\r\nx\r\n--XyZ--", "malformed multipart header"),
    (b"--XyZ garbage\r\n", "unexpected bytes"),
])
def test_a_malformed_body_raises_form_error_saying_what_is_wrong(body, complaint):
    with pytest.raises(FormError, match=complaint):
        events_of([body])


def test_too_many_parts_are_refused():
    parser = MultipartParser(b"b", max_parts=2)
    part = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'
    with pytest.raises(FormError, match="more than 2 parts"):
        parser.feed(part * 3 + b"--b--")


@pytest.mark.parametrize(("value", "expected"), [
    ('form-data; name="a"', ("form-data", {"name": "a"})),
    ('form-data; name="a;b"; filename="x \\"q\\".txt"',
     ("form-data", {"name": "a;b", "filename": 'x "q".txt'})),
    ("form-data; name=plain", ("form-data", {"name": "plain"})),
    ("form-data; filename=\"a.txt\"; filename*=utf-8''%C3%A9t%C3%A9.txt",
     ("form-data", {"filename": "été.txt"})),
    ("multipart/form-data; boundary=abc", ("multipart/form-data", {"boundary": "abc"})),
])
def test_header_parameters_are_parsed_with_quoting_and_rfc_8187(value, expected):
    assert parse_options_header(value) == expected


def test_a_urlencoded_body_is_parsed_like_a_query_string():
    form = parse_form("application/x-www-form-urlencoded", b"name=Ada+L&tag=a&tag=b&empty=")
    assert form["name"] == "Ada L"
    assert form.getlist("tag") == ["a", "b"]
    assert form["empty"] == ""


# ---- endpoints: compared with FastAPI ---------------------------------------------------------


def build(framework):
    app = framework.App() if framework is miniasgi else framework.FastAPI()
    Form, File, UploadFile = framework.Form, framework.File, framework.UploadFile

    @app.post("/login")
    async def login(username: str = Form(), password: str = Form(min_length=3),
                    remember: bool = Form(False)):
        return {"username": username, "password": password, "remember": remember}

    @app.post("/upload")
    async def upload(file: UploadFile, note: Annotated[str, Form()] = "none"):
        content = await file.read()
        return {"filename": file.filename, "size": len(content), "note": note,
                "type": file.content_type}

    @app.post("/bytes")
    async def as_bytes(data: bytes = File(), tags: list[str] = Form([])):
        return {"length": len(data), "tags": tags}

    @app.post("/byte-list")
    async def byte_list(data: list[bytes] = File(), one: bytes | None = File(None)):
        return {"lengths": [len(item) for item in data], "one": one}

    class PasswordForm:  # the shape of OAuth2PasswordRequestForm: a class of Form() fields
        def __init__(self, username: str = Form(), password: str = Form(),
                     scope: str = Form(""), grant_type: str | None = Form(None)):
            self.username, self.password = username, password
            self.scopes = scope.split()
            self.grant_type = grant_type

    @app.post("/token")
    async def token(form: Annotated[PasswordForm, framework.Depends()]):
        return {"username": form.username, "scopes": form.scopes, "grant": form.grant_type}

    @app.post("/many")
    async def many(files: list[UploadFile]):
        return [f.filename for f in files]

    return app


mini_client = TestClient(build(miniasgi))
fastapi_client = FastAPITestClient(build(fastapi))

FORM_REQUESTS = [
    ("/login", {"data": {"username": "ada", "password": "secret", "remember": "on"}}),
    ("/login", {"data": {"username": "ada", "password": "x"}}),
    ("/login", {"data": {"username": "", "password": ""}}),
    ("/login", {}),
    ("/upload", {"files": {"file": ("a.txt", b"hello", "text/plain")}, "data": {"note": "n"}}),
    ("/upload", {"data": {"note": "n"}}),
    ("/bytes", {"files": {"data": ("b.bin", b"\x00\x01\x02")}, "data": {"tags": ["x", "y"]}}),
    ("/byte-list", {"files": [("data", ("a", b"12")), ("data", ("b", b"345"))]}),
    ("/byte-list", {}),
    ("/token", {"data": {"username": "ada", "password": "pw", "scope": "read write"}}),
    ("/token", {"data": {"username": "ada", "grant_type": "password"}}),
    ("/many", {"files": [("files", ("1.txt", b"1")), ("files", ("2.txt", b"22"))]}),
]


@pytest.mark.parametrize(("url", "options"), FORM_REQUESTS,
                         ids=[f"{u} {sorted(o)}" for u, o in FORM_REQUESTS])
def test_form_endpoints_answer_as_fastapi_does(url, options):
    ours = mini_client.post(url, **options)
    theirs = fastapi_client.post(url, **options)
    assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())


def test_a_broken_multipart_body_is_answered_400():
    response = mini_client.post("/upload", content=b"--b\r\nnot a header\r\n\r\n",
                                headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400
    assert "error parsing the body" in response.json()["detail"]


def test_request_form_parses_multipart_while_the_body_arrives_in_pieces():
    import asyncio

    from miniasgi import Request

    pieces = [BODY[i:i + 7] for i in range(0, len(BODY), 7)]
    messages = [{"type": "http.request", "body": piece, "more_body": True} for piece in pieces]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive():
        return messages.pop(0)

    async def read_form():
        scope = {"type": "http", "headers": [(b"content-type",
                                              b"multipart/form-data; boundary=XyZ")]}
        form = await Request(scope, receive).form()
        return form["title"], await form["upload"].read()

    assert asyncio.run(read_form()) == ("Hello, wörld",
                                        b"line one\r\n--not the boundary\r\nline two")


def test_a_text_field_over_the_size_limit_is_refused():
    from miniasgi.forms import FormBuilder

    builder = FormBuilder(b"b", max_field_bytes=10)
    with pytest.raises(FormError, match="over 10 bytes: send large values as a file"):
        builder.feed(b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\n'
                     + b"x" * 100 + b"\r\n--b--")
