"""examples/hello.py: the smallest miniasgi app works as its docstring promises, on every loop."""

from __future__ import annotations

import httpx

from tests.minihttp.test_server import ServerThread


def test_hello_greets_the_world_and_a_name_and_echoes_a_body(loop_factory):
    with ServerThread("examples.hello:app", loop_factory) as server, httpx.Client() as client:
        world = client.get(server.url + "/")
        ada = client.get(server.url + "/", params={"name": "Ada"})
        echo = client.post(server.url + "/echo", content=b"some bytes")
    assert (world.status_code, world.text) == (200, "Hello, world!")
    assert world.headers["content-type"] == "text/plain; charset=utf-8"
    assert ada.text == "Hello, Ada!"
    assert echo.text == "some bytes"


def test_hello_documents_its_routes(loop_factory):
    with ServerThread("examples.hello:app", loop_factory) as server, httpx.Client() as client:
        document = client.get(server.url + "/openapi.json").json()
        docs_page = client.get(server.url + "/docs")
    assert set(document["paths"]) == {"/", "/echo"}
    assert docs_page.status_code == 200
