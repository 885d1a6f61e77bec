"""Exceptions and their answers: HTTPException, 422, handlers by class and status, 500."""

import pytest

from miniasgi import App, HTTPException, JSONResponse, PlainTextResponse, Request
from miniasgi.exceptions import RequestValidationError
from miniasgi.testclient import TestClient


class ItemMissing(Exception):
    def __init__(self, name: str):
        self.name = name


def make_app(**options):
    app = App(**options)

    @app.get("/items/{name}")
    async def read(name: str):
        if name == "gone":
            raise ItemMissing(name)
        if name == "secret":
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        if name == "teapot":
            raise HTTPException(429)
        if name == "crash":
            raise ZeroDivisionError("division by zero")
        if name == "empty":
            raise HTTPException(304)
        return {"name": name}

    @app.get("/number")
    def number(value: int):
        return value

    return app


def test_http_exception_answers_its_status_with_detail_and_headers():
    response = TestClient(make_app()).get("/items/secret")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_http_exception_detail_defaults_to_the_reason_phrase():
    assert TestClient(make_app()).get("/items/teapot").json() == {"detail": "Too Many Requests"}


def test_http_exception_with_a_bodiless_status_sends_no_body():
    response = TestClient(make_app()).get("/items/empty")
    assert (response.status_code, response.content) == (304, b"")


def test_a_handler_registered_for_an_exception_class_answers_it():
    app = make_app()

    @app.exception_handler(ItemMissing)
    async def missing(request: Request, error: ItemMissing):
        return JSONResponse({"message": f"{error.name} is gone", "path": request.url.path},
                            status_code=410)

    response = TestClient(app).get("/items/gone")
    assert (response.status_code, response.json()) == (
        410, {"message": "gone is gone", "path": "/items/gone"})


def test_a_handler_registered_for_a_status_code_replaces_the_default_answer():
    app = make_app()

    @app.exception_handler(404)
    def not_found(request: Request, error: HTTPException):
        return PlainTextResponse(f"nothing at {request.url.path}", status_code=404)

    response = TestClient(app).get("/nowhere")
    assert (response.status_code, response.text) == (404, "nothing at /nowhere")


def test_the_validation_handler_can_be_replaced():
    app = make_app()

    @app.exception_handler(RequestValidationError)
    def plain(request: Request, error: RequestValidationError):
        return PlainTextResponse(str(len(error.errors())) + " errors", status_code=400)

    response = TestClient(app).get("/number?value=x")
    assert (response.status_code, response.text) == (400, "1 errors")


def test_an_unhandled_exception_is_raised_in_the_test_by_default():
    with pytest.raises(ZeroDivisionError):
        TestClient(make_app()).get("/items/crash")


def test_an_unhandled_exception_is_a_plain_500_for_the_client():
    response = TestClient(make_app(), raise_server_exceptions=False).get("/items/crash")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


def test_debug_mode_shows_the_traceback():
    response = TestClient(make_app(debug=True), raise_server_exceptions=False).get("/items/crash")
    assert response.status_code == 500
    assert "ZeroDivisionError: division by zero" in response.text


def test_a_500_handler_answers_unhandled_exceptions():
    app = make_app()

    @app.exception_handler(Exception)
    def oops(request: Request, error: Exception):
        return JSONResponse({"error": type(error).__name__}, status_code=500)

    response = TestClient(app, raise_server_exceptions=False).get("/items/crash")
    assert (response.status_code, response.json()) == (500, {"error": "ZeroDivisionError"})


def test_exception_handler_keys_must_be_classes_or_status_codes():
    with pytest.raises(TypeError, match="exception class or a status code"):
        App().add_exception_handler("404", lambda request, error: None)
