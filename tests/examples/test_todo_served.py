"""The todo API served for real: `python -m examples.todo` on minihttp, and under Uvicorn.

These start real servers and talk to them over sockets with httpx, the way the
README's walk does with curl. `create-admin` is run as the command a person types.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import uvicorn

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "a-served-test-secret-long-enough-for-hs256"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {process.stdout.read()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    pytest.fail(f"nothing listened on port {port}")


def walk_through_the_api(base_url: str, admin_email: str | None = None) -> None:
    """The README's walk: register, log in, create, list, a 401 and a 403."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.post("/users", json={"email": "walk@example.com",
                                           "password": "walk the walk"}).status_code == 201
        tokens = client.post("/token", data={"username": "walk@example.com",
                                             "password": "walk the walk"}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.post("/todos", json={"title": "walk"}, headers=headers).status_code == 201
        assert client.get("/todos", headers=headers).json()["total"] == 1
        assert client.get("/todos").status_code == 401
        assert client.get("/users", headers=headers).status_code == 403
        assert client.get("/docs").status_code == 200
        assert "/todos" in client.get("/openapi.json").json()["paths"]
        if admin_email:
            admin = client.post("/token", data={"username": admin_email,
                                                "password": "admin password"}).json()
            users = client.get("/users", headers={"Authorization":
                                                  f"Bearer {admin['access_token']}"})
            assert users.status_code == 200
            assert {user["email"] for user in users.json()} == {admin_email, "walk@example.com"}


def test_python_m_examples_todo_serves_the_api_and_create_admin_works(tmp_path):
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'todo.sqlite3'}",
                   "SECRET_KEY": SECRET}
    created = subprocess.run(
        [sys.executable, "-m", "examples.todo", "create-admin", "root@example.com",
         "--password", "admin password"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert created.returncode == 0, created.stderr
    assert "created admin root@example.com" in created.stdout
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.todo", "--port", str(port)],
        cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        walk_through_the_api(f"http://127.0.0.1:{port}", admin_email="root@example.com")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/docs" in output


def test_create_admin_refuses_a_short_password(tmp_path):
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'todo.sqlite3'}",
                   "SECRET_KEY": SECRET}
    refused = subprocess.run(
        [sys.executable, "-m", "examples.todo", "create-admin", "root@example.com",
         "--password", "short"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    assert "at least 8 characters" in refused.stderr


def test_the_same_app_runs_unchanged_under_uvicorn(tmp_path):
    from examples.todo.main import create_app
    from examples.todo.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'todo.sqlite3'}",
                              secret_key=SECRET))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        walk_through_the_api(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
