"""Middleware: the ASGI pattern, CORS (Fetch §3.2) and GZip (RFC 9110 §8.4, §12.5.3)."""

import gzip

import pytest

from miniasgi import App, StreamingResponse
from miniasgi.middleware import CORSMiddleware, GZipMiddleware
from miniasgi.middleware.gzip import accepts_gzip
from miniasgi.testclient import TestClient


def make_app():
    app = App()

    @app.get("/small")
    def small():
        return {"a": 1}

    @app.get("/big")
    def big():
        return {"text": "x" * 2000}

    @app.post("/items")
    def create():
        return {"created": True}

    @app.get("/stream")
    def stream():
        def pieces():
            for index in range(50):
                yield f"line {index} " * 20 + "\n"
        return StreamingResponse(pieces(), media_type="text/plain")

    return app


# ---- the pattern ----------------------------------------------------------------------------


class Tagging:
    def __init__(self, app, tag: str):
        self.app = app
        self.tag = tag

    async def __call__(self, scope, receive, send):
        async def send_with_tag(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=[*message["headers"],
                                                 (b"x-tag", self.tag.encode())])
            await send(message)
        await self.app(scope, receive, send_with_tag)


def test_middleware_wraps_the_app_and_the_last_added_runs_outermost():
    app = make_app()
    app.add_middleware(Tagging, tag="inner")
    app.add_middleware(Tagging, tag="outer")
    response = TestClient(app).get("/small")
    assert response.headers.get_list("x-tag") == ["inner", "outer"]


def test_middleware_cannot_be_added_after_the_first_request():
    app = make_app()
    TestClient(app).get("/small")
    with pytest.raises(RuntimeError, match="before the first request"):
        app.add_middleware(Tagging, tag="late")


def test_error_answers_pass_through_user_middleware():
    app = make_app()
    app.add_middleware(Tagging, tag="seen")
    response = TestClient(app).get("/missing")
    assert response.status_code == 404
    assert response.headers["x-tag"] == "seen"


# ---- CORS -----------------------------------------------------------------------------------


def cors_client(**options):
    app = make_app()
    app.add_middleware(CORSMiddleware, **options)
    return TestClient(app)


def test_a_request_without_origin_is_not_touched():
    response = cors_client(allow_origins=["*"]).get("/small")
    assert "access-control-allow-origin" not in response.headers


def test_a_simple_request_from_an_allowed_origin_gets_allow_origin_and_vary():
    client = cors_client(allow_origins=["https://shop.example"], expose_headers=["X-Count"])
    response = client.get("/small", headers={"origin": "https://shop.example"})
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-expose-headers"] == "X-Count"
    assert response.headers["vary"] == "Origin"


def test_a_disallowed_origin_gets_no_allow_origin_but_the_app_still_answers():
    client = cors_client(allow_origins=["https://shop.example"])
    response = client.get("/small", headers={"origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_wildcard_origin_answers_star_unless_credentials_are_allowed():
    response = cors_client(allow_origins=["*"]).get("/small", headers={"origin": "https://a.b"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "vary" not in response.headers
    client = cors_client(allow_origins=["*"], allow_credentials=True)
    response = client.get("/small", headers={"origin": "https://a.b"})
    assert response.headers["access-control-allow-origin"] == "https://a.b"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_a_preflight_is_answered_without_calling_the_app():
    client = cors_client(allow_origins=["https://shop.example"], allow_methods=["GET", "POST"],
                         allow_headers=["Authorization"], max_age=300)
    response = client.options("/items", headers={
        "origin": "https://shop.example", "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert "authorization" in response.headers["access-control-allow-headers"]
    assert response.headers["access-control-max-age"] == "300"


@pytest.mark.parametrize(("origin", "method", "headers", "complaint"), [
    ("https://evil.example", "GET", "", "origin"),
    ("https://shop.example", "DELETE", "", "method"),
    ("https://shop.example", "GET", "x-secret", "headers"),
])
def test_a_preflight_asking_for_too_much_is_refused_with_400_naming_what(origin, method,
                                                                       headers, complaint):
    client = cors_client(allow_origins=["https://shop.example"])
    response = client.options("/items", headers={
        "origin": origin, "access-control-request-method": method,
        "access-control-request-headers": headers})
    assert response.status_code == 400
    assert response.text == "Disallowed CORS " + complaint


def test_allow_headers_star_echoes_the_requested_headers():
    client = cors_client(allow_origins=["*"], allow_headers=["*"], allow_methods=["*"])
    response = client.options("/items", headers={
        "origin": "https://a.b", "access-control-request-method": "PATCH",
        "access-control-request-headers": "x-one, x-two"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-headers"] == "x-one, x-two"


def test_an_origin_regex_allows_matching_origins():
    client = cors_client(allow_origin_regex=r"https://.*\.shop\.example")
    ok = client.get("/small", headers={"origin": "https://eu.shop.example"})
    assert ok.headers["access-control-allow-origin"] == "https://eu.shop.example"
    other = client.get("/small", headers={"origin": "https://shop.example.evil"})
    assert "access-control-allow-origin" not in other.headers


# ---- GZip ------------------------------------------------------------------------------------


def gzip_client(**options):
    app = make_app()
    app.add_middleware(GZipMiddleware, **options)
    return TestClient(app)


@pytest.mark.parametrize(("header", "accepted"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("gzip;q=0", False), ("br", False),
    ("*", True), ("*;q=0", False), ("", False), ("GZIP", True), ("gzip;q=bad", False),
])
def test_accept_encoding_is_negotiated_with_q_values(header, accepted):
    assert accepts_gzip(header) is accepted


def test_a_large_body_is_compressed_with_length_and_vary():
    client = gzip_client(minimum_size=500)
    response = client.get("/big", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.json() == {"text": "x" * 2000}  # httpx decodes gzip
    assert int(response.headers["content-length"]) < 2000


def test_a_small_body_or_a_client_without_gzip_gets_it_uncompressed():
    client = gzip_client(minimum_size=500)
    small = client.get("/small", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers
    plain = client.get("/big", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_a_streamed_body_is_compressed_piece_by_piece_without_content_length():
    sent = []
    app = make_app()
    app.add_middleware(GZipMiddleware, minimum_size=10)

    async def run():
        scope = {"type": "http", "method": "GET", "path": "/stream", "query_string": b"",
                 "headers": [(b"accept-encoding", b"gzip")], "root_path": ""}

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    import asyncio

    asyncio.run(run())
    start, *bodies = sent
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"gzip"
    assert b"content-length" not in headers
    assert len(bodies) > 2
    decoded = gzip.decompress(b"".join(message["body"] for message in bodies)).decode()
    assert decoded == "".join(f"line {index} " * 20 + "\n" for index in range(50))
