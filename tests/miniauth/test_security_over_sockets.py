"""The OAuth2 password flow end to end over a real socket: the app served by Uvicorn on
127.0.0.1, driven by httpx, as a user's client would drive it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from tests.miniauth.test_security import FakeClock, build_app


@pytest.fixture
def server_url() -> Iterator[str]:
    app, _ = build_app(FakeClock())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # waiting for readiness, not measuring anything
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@pytest.mark.slow
def test_login_use_refresh_and_logout_over_http(server_url: str) -> None:
    with httpx.Client(base_url=server_url) as client:
        refused = client.get("/items")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer scope="items:read"'

        login = client.post(
            "/token", data={"username": "alice", "password": "wonderland", "scope": "items:read"}
        )
        assert login.status_code == 200
        tokens = login.json()
        authorization = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.get("/items", headers=authorization).json() == ["hammer"]
        assert client.post("/items", headers=authorization).json() == {"by": "alice"}

        refreshed = client.post("/token/refresh", data={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200
        authorization = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert client.get("/me", headers=authorization).json()["sub"] == "alice"

        assert client.post("/logout", headers=authorization).json() == {"ok": True}
        after_logout = client.get("/me", headers=authorization)
        assert after_logout.status_code == 401
        assert 'error="invalid_token"' in after_logout.headers["www-authenticate"]
