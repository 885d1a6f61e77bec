"""Real third-party ASGI apps served by minihttp: FastAPI and Starlette, on every loop.

The ASGI boundary is only real if apps we did not write run unchanged. These
apps use what applications use: path and query parameters, JSON bodies
validated by pydantic, streaming responses (which in Starlette also listen for
http.disconnect in a task group), background tasks, and lifespan state.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from tests.minihttp.test_server import ServerThread

fastapi = pytest.importorskip("fastapi")
starlette = pytest.importorskip("starlette")

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import StreamingResponse  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.background import BackgroundTask  # noqa: E402
from starlette.responses import JSONResponse, PlainTextResponse  # noqa: E402
from starlette.responses import StreamingResponse as StarletteStreamingResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


def make_fastapi_app(lifespan_log: list[str]) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        lifespan_log.append("startup")
        yield {"store": {"greeting": "hello from lifespan"}}
        lifespan_log.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None, limit: int = 10):
        return {"item_id": item_id, "q": q, "limit": limit}

    @app.post("/items")
    async def create_item(item: Item):
        return {"created": item.model_dump(), "total": item.price * 2}

    @app.get("/stream")
    async def stream():
        async def numbers():
            for index in range(5):
                yield f"line {index}\n"
                await asyncio.sleep(0)

        return StreamingResponse(numbers(), media_type="text/plain")

    @app.get("/state")
    async def state(request: Request):
        return request.state.store

    @app.get("/sync")
    def sync_endpoint(name: str = "world"):  # FastAPI runs this in a thread pool
        return {"hello": name}

    return app


def make_starlette_app(lifespan_log: list[str], background_done: list[str]) -> Starlette:
    async def homepage(request):
        return PlainTextResponse(f"hello {request.query_params.get('name', 'world')}")

    async def user(request):
        return JSONResponse({"user": request.path_params["username"]})

    async def echo(request):
        payload = await request.json()
        return JSONResponse({"echo": payload}, background=BackgroundTask(background_done.append, "ran"))

    async def stream(request):
        async def chunks():
            for index in range(3):
                yield b"chunk%d" % index

        return StarletteStreamingResponse(chunks())

    @contextlib.asynccontextmanager
    async def lifespan(app):
        lifespan_log.append("startup")
        yield
        lifespan_log.append("shutdown")

    return Starlette(
        routes=[
            Route("/", homepage),
            Route("/users/{username}", user),
            Route("/echo", echo, methods=["POST"]),
            Route("/stream", stream),
        ],
        lifespan=lifespan,
    )


def test_a_fastapi_app_serves_its_routes(loop_factory):
    lifespan_log: list[str] = []
    app = make_fastapi_app(lifespan_log)
    with ServerThread(app, loop_factory) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/items/42", params={"q": "shoes"}).json() == {
            "item_id": 42, "q": "shoes", "limit": 10,
        }
        invalid = client.get("/items/not-a-number")
        created = client.post("/items", json={"name": "pen", "price": 1.5, "tags": ["office"]})
        rejected = client.post("/items", json={"name": "pen"})
        with client.stream("GET", "/stream") as response:
            streamed = b"".join(response.iter_bytes())
        state = client.get("/state").json()
        synchronous = client.get("/sync", params={"name": "ada"}).json()
        missing = client.get("/nowhere")
        docs = client.get("/openapi.json").json()
    assert invalid.status_code == 422
    assert created.json() == {
        "created": {"name": "pen", "price": 1.5, "tags": ["office"]}, "total": 3.0,
    }
    assert rejected.status_code == 422
    assert streamed == b"".join(b"line %d\n" % index for index in range(5))
    assert state == {"greeting": "hello from lifespan"}
    assert synchronous == {"hello": "ada"}
    assert missing.status_code == 404
    assert "/items/{item_id}" in docs["paths"]
    assert lifespan_log == ["startup", "shutdown"]


def test_a_starlette_app_serves_its_routes(loop_factory):
    lifespan_log: list[str] = []
    background_done: list[str] = []
    app = make_starlette_app(lifespan_log, background_done)
    with ServerThread(app, loop_factory) as server, httpx.Client(base_url=server.url) as client:
        home = client.get("/", params={"name": "Ada"})
        user = client.get("/users/grace")
        echo = client.post("/echo", json={"numbers": [1, 2, 3]})
        with client.stream("GET", "/stream") as response:
            streamed = b"".join(response.iter_bytes())
        method_not_allowed = client.get("/echo")
    assert home.text == "hello Ada"
    assert user.json() == {"user": "grace"}
    assert echo.json() == {"echo": {"numbers": [1, 2, 3]}}
    assert background_done == ["ran"]
    assert streamed == b"chunk0chunk1chunk2"
    assert method_not_allowed.status_code == 405
    assert lifespan_log == ["startup", "shutdown"]


def test_a_fastapi_app_answers_concurrent_async_clients(loop_factory):
    app = make_fastapi_app([])

    async def main(url):
        async with httpx.AsyncClient(base_url=url) as client:
            responses = await asyncio.gather(
                *(client.get(f"/items/{index}", params={"limit": index}) for index in range(20))
            )
        return [response.json()["limit"] for response in responses]

    with ServerThread(app, loop_factory) as server:
        assert asyncio.run(main(server.url)) == list(range(20))
