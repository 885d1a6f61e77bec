"""Request (over the scope and receive) and the Response classes (RFC 9110 framing)."""

import dataclasses
import datetime
import email.utils
import uuid

import pytest

from miniasgi import (
    App,
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Model,
    PlainTextResponse,
    RedirectResponse,
    Request,
    Response,
    StreamingResponse,
    status,
)
from miniasgi.datastructures import Headers, QueryParams
from miniasgi.requests import parse_cookie_header
from miniasgi.testclient import TestClient

# ---- Request ------------------------------------------------------------------------------


def test_request_exposes_method_url_headers_query_cookies_client_and_path_params():
    app = App()

    @app.get("/echo/{name}")
    async def echo(request: Request):
        return {
            "method": request.method,
            "url": str(request.url),
            "path": request.url.path,
            "host_header": request.headers["HOST"],
            "tags": request.query_params.getlist("tag"),
            "last_tag": request.query_params["tag"],
            "cookies": request.cookies,
            "client": request.client.host,
            "path_params": request.path_params,
        }

    response = TestClient(app).get("/echo/ada?tag=a&tag=b",
                                   headers={"cookie": 'session=abc; theme="dark"'})
    assert response.json() == {
        "method": "GET", "url": "http://testserver/echo/ada?tag=a&tag=b", "path": "/echo/ada",
        "host_header": "testserver", "tags": ["a", "b"], "last_tag": "b",
        "cookies": {"session": "abc", "theme": "dark"}, "client": "testclient",
        "path_params": {"name": "ada"},
    }


def test_request_body_json_and_stream_read_the_received_body():
    app = App()

    @app.post("/body")
    async def body(request: Request):
        raw = await request.body()
        parsed = await request.json()
        streamed = b"".join([chunk async for chunk in request.stream()])
        return {"raw": raw.decode(), "parsed": parsed, "streamed": streamed.decode()}

    response = TestClient(app).post("/body", json={"a": 1})
    assert response.json() == {"raw": '{"a":1}', "parsed": {"a": 1}, "streamed": '{"a":1}'}


def test_request_stream_yields_pieces_as_they_arrive_from_receive():
    import asyncio

    messages = [{"type": "http.request", "body": b"ab", "more_body": True},
                {"type": "http.request", "body": b"cd", "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def collect():
        request = Request({"type": "http", "headers": []}, receive)
        return [chunk async for chunk in request.stream()]

    assert asyncio.run(collect()) == [b"ab", b"cd", b""]


def test_request_state_starts_from_the_scope_state_as_a_copy():
    scope = {"type": "http", "state": {"db": "pool"}}
    request = Request(scope)
    request.state.user = "ada"
    assert request.state.db == "pool"
    assert scope["state"] == {"db": "pool"}
    with pytest.raises(AttributeError, match="set it first"):
        request.state.nothing  # noqa: B018


@pytest.mark.parametrize(("header", "expected"), [
    ("a=1; b=2", {"a": "1", "b": "2"}),
    ("a=1;b=2", {"a": "1", "b": "2"}),
    ('a="quoted"', {"a": "quoted"}),
    ("broken; a=1", {"a": "1"}),
    ("", {}),
])
def test_the_cookie_header_is_split_into_pairs(header, expected):
    assert parse_cookie_header(header) == expected


def test_headers_compare_names_case_insensitively_and_keep_repeats():
    headers = Headers(raw=[(b"x-tag", b"a"), (b"x-tag", b"b"), (b"host", b"h")])
    assert headers["X-Tag"] == "a"
    assert headers.getlist("x-TAG") == ["a", "b"]
    assert "HOST" in headers
    assert QueryParams(b"a=1&a=2&b=").getlist("a") == ["1", "2"]
    assert QueryParams("b=")["b"] == ""


# ---- Responses --------------------------------------------------------------------------------


class Thing(Model):
    id: uuid.UUID
    at: datetime.datetime


@dataclasses.dataclass
class Point:
    x: int
    y: int


def make_app(tmp_path):
    app = App()
    file = tmp_path / "hello.txt"
    file.write_bytes(b"hello file")

    @app.get("/model")
    def model():
        return Thing(id=uuid.UUID(int=1), at=datetime.datetime(2024, 1, 2, 3, 4, 5))

    @app.get("/dataclass")
    def dataclass_point():
        return [Point(1, 2)]

    @app.get("/html", response_class=HTMLResponse)
    def html():
        return "<h1>hi</h1>"

    @app.get("/text")
    def text():
        return PlainTextResponse("plain", headers={"x-a": "1"})

    @app.get("/json")
    def json_response():
        return JSONResponse({"ünï": "cödé"}, status_code=status.HTTP_201_CREATED)

    @app.get("/redirect")
    def redirect():
        return RedirectResponse("/text")

    @app.get("/stream")
    def stream():
        def pieces():
            yield "one,"
            yield b"two"
        return StreamingResponse(pieces(), media_type="text/csv")

    @app.get("/astream")
    async def astream():
        async def pieces():
            for index in range(3):
                yield f"{index};"
        return StreamingResponse(pieces())

    @app.get("/file")
    def file_response():
        return FileResponse(file, filename="greeting.txt")

    @app.delete("/items/1", status_code=204)
    def delete():
        return None

    @app.get("/cookie")
    def cookie():
        response = Response("ok")
        response.set_cookie("token", "a b", max_age=60, httponly=True, secure=True)
        return response

    return app


@pytest.fixture
def client(tmp_path):
    return TestClient(make_app(tmp_path))


def test_models_uuids_and_datetimes_are_encoded_as_json(client):
    response = client.get("/model")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": "00000000-0000-0000-0000-000000000001",
                               "at": "2024-01-02T03:04:05"}


def test_dataclasses_are_encoded_as_objects(client):
    assert client.get("/dataclass").json() == [{"x": 1, "y": 2}]


def test_json_is_compact_utf8_without_escapes(client):
    response = client.get("/json")
    assert response.status_code == 201
    assert response.content == '{"ünï":"cödé"}'.encode()
    assert response.headers["content-length"] == str(len(response.content))


def test_response_class_html_and_text_media_types_get_a_charset(client):
    assert client.get("/html").headers["content-type"] == "text/html; charset=utf-8"
    response = client.get("/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-a"] == "1"


def test_redirect_response_is_307_with_a_location(client):
    response = client.get("/redirect", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/text")
    assert client.get("/redirect").text == "plain"


def test_streaming_responses_send_sync_and_async_pieces_without_content_length(client):
    response = client.get("/stream")
    assert response.text == "one,two"
    assert "content-length" not in response.headers
    assert client.get("/astream").text == "0;1;2;"


def test_file_response_sends_length_last_modified_etag_and_disposition(client, tmp_path):
    response = client.get("/file")
    assert response.content == b"hello file"
    assert response.headers["content-length"] == "10"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == 'attachment; filename="greeting.txt"'
    assert response.headers["etag"].startswith('"')
    modified = email.utils.parsedate_to_datetime(response.headers["last-modified"])
    assert abs(modified.timestamp() - (tmp_path / "hello.txt").stat().st_mtime) < 1


def test_a_204_answer_has_no_body_and_no_content_length(client):
    response = client.delete("/items/1")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-length" not in response.headers


def test_set_cookie_writes_the_attributes_of_rfc_6265(client):
    cookie = client.get("/cookie").headers["set-cookie"]
    assert cookie == "token=a%20b; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=lax"


def test_set_cookie_refuses_an_unknown_samesite():
    with pytest.raises(ValueError, match="samesite"):
        Response().set_cookie("a", "b", samesite="sometimes")


def test_response_model_filters_fields_that_must_never_leave():
    class UserIn(Model):
        name: str
        password: str

    class UserOut(Model):
        name: str

    class Row:  # what an ORM hands back: attributes, not a dict
        def __init__(self):
            self.name = "ada"
            self.password_hash = "secret-hash"

    app = App()

    @app.post("/users", response_model=UserOut, status_code=201)
    def create(user: UserIn):
        return user

    @app.get("/users/1")
    def read() -> UserOut:
        return Row()

    client = TestClient(app)
    response = client.post("/users", json={"name": "ada", "password": "pw"})
    assert (response.status_code, response.json()) == (201, {"name": "ada"})
    assert client.get("/users/1").json() == {"name": "ada"}


def test_a_return_value_that_does_not_fit_the_response_model_is_a_server_error():
    class Out(Model):
        count: int

    app = App()

    @app.get("/", response_model=Out)
    def index():
        return {"count": "many"}

    with pytest.raises(Exception, match="count"):
        TestClient(app).get("/")
    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500


# ---- background tasks and disconnects, at the ASGI level ----------------------------------------


def call_app(app, method="GET", path="/", messages=None):
    """Drive the app as a server would; return everything it sent, in order (tasks noted)."""
    import asyncio

    sent = []
    incoming = list(messages or [{"type": "http.request", "body": b""}])

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)  # nothing more from this client

    async def send(message):
        sent.append(message["type"])

    scope = {"type": "http", "method": method, "path": path, "query_string": b"",
             "headers": [], "root_path": ""}
    asyncio.run(app(scope, receive, send))
    return sent


def test_background_tasks_run_after_the_whole_response_was_sent():
    from miniasgi import BackgroundTasks

    order = []
    app = App()

    @app.get("/")
    async def index(tasks: BackgroundTasks):
        tasks.add_task(order.append, "sync task")

        async def async_task(label):
            order.append(label)
        tasks.add_task(async_task, label="async task")
        return {}

    sent = call_app(app)
    order_seen = sent + order
    assert order_seen == ["http.response.start", "http.response.body", "sync task", "async task"]


def test_add_task_given_a_call_result_says_to_pass_the_function():
    from miniasgi import BackgroundTasks

    with pytest.raises(TypeError, match="not tasks.add_task"):
        BackgroundTasks().add_task(None)


def test_is_disconnected_reports_a_waiting_disconnect_without_blocking():
    import asyncio

    async def check(messages):
        pending = list(messages)

        async def receive():
            if pending:
                return pending.pop(0)
            await asyncio.sleep(3600)

        return await Request({"type": "http"}, receive).is_disconnected()

    assert asyncio.run(check([{"type": "http.disconnect"}])) is True
    assert asyncio.run(check([])) is False


def test_request_url_for_builds_an_absolute_url_for_a_named_route():
    app = App()

    @app.get("/items/{item_id}", name="item")
    async def item(item_id: int, request: Request):
        return {"self": str(request.url_for("item", item_id=item_id + 1))}

    assert TestClient(app).get("/items/1").json() == {"self": "http://testserver/items/2"}


def test_starlettes_own_middleware_wraps_a_miniasgi_app():
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app = App()

    @app.get("/")
    async def index():
        return {"ok": True}

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["good.example"])
    client = TestClient(app, base_url="http://good.example")
    assert client.get("/").json() == {"ok": True}
    assert TestClient(app, base_url="http://evil.example").get("/").status_code == 400


def test_a_client_that_leaves_mid_body_raises_client_disconnect():
    import asyncio

    from miniasgi.requests import ClientDisconnect

    messages = [{"type": "http.request", "body": b"part", "more_body": True},
                {"type": "http.disconnect"}]

    async def receive():
        return messages.pop(0)

    async def read():
        request = Request({"type": "http"}, receive)
        with pytest.raises(ClientDisconnect):
            await request.body()
        return await request.is_disconnected()

    assert asyncio.run(read()) is True


def test_the_body_cannot_be_streamed_twice_but_body_can_be_read_again():
    import asyncio

    messages = [{"type": "http.request", "body": b"once", "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def read():
        request = Request({"type": "http"}, receive)
        first = [chunk async for chunk in request.stream()]
        with pytest.raises(RuntimeError, match="already streamed"):
            await request.body()
        return first

    assert asyncio.run(read()) == [b"once", b""]


def test_a_response_class_keeps_its_own_default_status_when_the_route_sets_none():
    app = App()

    @app.get("/go", response_class=RedirectResponse)
    def go():
        return "/text"

    @app.get("/moved", response_class=RedirectResponse, status_code=301)
    def moved():
        return "/text"

    client = TestClient(app)
    assert client.get("/go", follow_redirects=False).status_code == 307
    response = client.get("/moved", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (301, "/text")
