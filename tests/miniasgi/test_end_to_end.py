"""The same miniasgi app served over real sockets by Uvicorn and by minihttp.

The ASGI boundary is the only thing the app and the server share; these tests
are the proof: lifespan state, typed parameters, bodies, a 422, a 404, a
streamed and a gzipped response, all through a real TCP connection on 127.0.0.1.
"""

import contextlib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from miniasgi import App, HTTPException, Model, Request, StreamingResponse
from miniasgi.middleware import GZipMiddleware

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"greeting": "hello from the lifespan"}


class Item(Model):
    name: str
    price: float


app = App(lifespan=lifespan)
app.add_middleware(GZipMiddleware, minimum_size=100)


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    if item_id == 404:
        raise HTTPException(404, "Item not found")
    return {"item_id": item_id, "q": q}


@app.post("/items", status_code=201)
def create_item(item: Item):
    return item


@app.get("/state")
async def state(request: Request):
    return {"greeting": request.state.greeting}


@app.get("/stream")
async def stream():
    async def pieces():
        for index in range(5):
            yield f"piece {index}\n"
    return StreamingResponse(pieces(), media_type="text/plain")


@app.get("/big")
async def big():
    return {"text": "abc" * 500}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + 20  # a startup limit, not an assertion about speed
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: "
                               f"{process.stderr.read().decode()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def uvicorn_url():
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_listening(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def minihttp_url():
    if not (ROOT / "minihttp" / "main.py").exists():
        pytest.skip("minihttp's server has not landed yet")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "minihttp", "tests.miniasgi.test_end_to_end:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["uvicorn", "minihttp"])
def base_url(request):
    return request.getfixturevalue(f"{request.param}_url")


pytestmark = pytest.mark.slow


def test_typed_path_and_query_parameters_over_a_socket(base_url):
    response = httpx.get(f"{base_url}/items/7?q=x")
    assert (response.status_code, response.json()) == (200, {"item_id": 7, "q": "x"})


def test_a_model_body_is_validated_and_created(base_url):
    response = httpx.post(f"{base_url}/items", json={"name": "pen", "price": "1.5"})
    assert (response.status_code, response.json()) == (201, {"name": "pen", "price": 1.5})


def test_a_bad_parameter_is_answered_422_over_a_socket(base_url):
    response = httpx.get(f"{base_url}/items/seven")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_an_http_exception_is_answered_over_a_socket(base_url):
    response = httpx.get(f"{base_url}/items/404")
    assert (response.status_code, response.json()) == (404, {"detail": "Item not found"})


def test_the_lifespan_state_reaches_requests_through_the_server(base_url):
    assert httpx.get(f"{base_url}/state").json() == {"greeting": "hello from the lifespan"}


def test_a_streamed_body_arrives_whole(base_url):
    response = httpx.get(f"{base_url}/stream")
    assert response.text == "".join(f"piece {index}\n" for index in range(5))


def test_a_gzipped_body_arrives_compressed_and_decodes(base_url):
    response = httpx.get(f"{base_url}/big", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"text": "abc" * 500}
