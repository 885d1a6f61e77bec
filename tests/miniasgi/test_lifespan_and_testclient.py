"""Lifespan (ASGI lifespan spec 2.0) and the two test clients (sync TestClient, ASGITransport)."""

import asyncio
import contextlib

import httpx
import pytest

from miniasgi import App, Request
from miniasgi.testclient import ASGITransport, TestClient


def make_app(events):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield {"pool": "the pool"}
        events.append("shutdown")

    app = App(lifespan=lifespan, on_startup=[lambda: events.append("on_startup")],
              on_shutdown=[lambda: events.append("on_shutdown")])

    @app.get("/pool")
    async def pool(request: Request):
        request.state.per_request = "mine"
        return {"pool": request.state.pool}

    @app.get("/leak")
    async def leak(request: Request):
        return {"leaked": hasattr(request.state, "per_request")}

    return app


def test_the_lifespan_runs_around_the_client_and_its_state_reaches_requests():
    events = []
    with TestClient(make_app(events)) as client:
        assert events == ["on_startup", "startup"]
        assert client.get("/pool").json() == {"pool": "the pool"}
        assert client.get("/leak").json() == {"leaked": False}
    assert events == ["on_startup", "startup", "shutdown", "on_shutdown"]


def test_without_the_context_manager_the_lifespan_does_not_run():
    events = []
    client = TestClient(make_app(events))
    assert client.get("/leak").status_code == 200
    assert events == []


def test_a_failing_startup_is_reported_with_its_traceback():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        raise ConnectionError("database unreachable")
        yield

    with pytest.raises(RuntimeError, match="database unreachable"):
        with TestClient(App(lifespan=lifespan)):
            pass


def test_a_lifespan_yielding_something_other_than_a_dict_is_refused_clearly():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield ["not", "a", "dict"]

    with pytest.raises(RuntimeError, match="yield {'name': value}"):
        with TestClient(App(lifespan=lifespan)):
            pass


def test_a_server_that_sends_no_state_still_gets_the_lifespan_state_to_requests():
    events = []
    app = make_app(events)

    async def serve():
        to_app: asyncio.Queue = asyncio.Queue()
        from_app: asyncio.Queue = asyncio.Queue()
        task = asyncio.ensure_future(app({"type": "lifespan"}, to_app.get, from_app.put))
        await to_app.put({"type": "lifespan.startup"})
        assert (await from_app.get())["type"] == "lifespan.startup.complete"
        async with httpx.AsyncClient(transport=ASGITransport(app), base_url="http://x") as c:
            answer = (await c.get("/pool")).json()
        await to_app.put({"type": "lifespan.shutdown"})
        assert (await from_app.get())["type"] == "lifespan.shutdown.complete"
        await task
        return answer

    assert asyncio.run(serve()) == {"pool": "the pool"}


def test_asgi_transport_serves_an_async_client(run_async):
    app = App()

    @app.post("/echo")
    async def echo(request: Request):
        return {"body": (await request.body()).decode(), "ua": request.headers["user-agent"]}

    async def call():
        transport = ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                     headers={"user-agent": "async"}) as client:
            response = await client.post("/echo", content=b"hi")
            return response.status_code, response.json()

    assert run_async(call()) == (200, {"body": "hi", "ua": "async"})


def test_the_test_client_keeps_cookies_between_requests():
    app = App()

    @app.get("/login")
    async def login():
        from miniasgi import Response

        response = Response("ok")
        response.set_cookie("session", "s1")
        return response

    @app.get("/whoami")
    async def whoami(request: Request):
        return request.cookies

    client = TestClient(app)
    client.get("/login")
    assert client.get("/whoami").json() == {"session": "s1"}


def test_an_app_that_sends_nothing_is_reported():
    async def silent(scope, receive, send):
        return None

    with pytest.raises(RuntimeError, match="without sending a response"):
        TestClient(silent).get("/")


def test_a_client_can_enter_the_lifespan_again_after_leaving_it():
    events = []
    client = TestClient(make_app(events))
    with client:
        assert client.get("/pool").json() == {"pool": "the pool"}
    with client:
        assert client.get("/pool").json() == {"pool": "the pool"}
    assert events.count("startup") == 2 and events.count("shutdown") == 2
    assert client.get("/leak").status_code == 200  # and outside again, with no lifespan


def test_app_state_is_reachable_from_every_request_through_request_app():
    app = App()
    app.state.settings = {"debug": True}

    @app.get("/settings")
    async def settings(request: Request):
        return request.app.state.settings

    assert TestClient(app).get("/settings").json() == {"debug": True}
