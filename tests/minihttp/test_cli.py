"""`python -m minihttp` in a real subprocess: start, serve, signals, workers, reload.

Each test writes a tiny app module into a temporary directory, starts the
server with `--port 0`, reads the port from the startup line on stderr, and
talks to it over a real socket. These start processes, so they are marked
slow; they are kept short (a couple of seconds at most each).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
WAIT = 15.0

pytestmark = pytest.mark.slow

APP_SOURCE = '''
import asyncio, os, sys, time

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if os.environ.get("FAIL_STARTUP"):
                    await send({"type": "lifespan.startup.failed", "message": "no database"})
                    return
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/slow":
        print("slow request started", file=sys.stderr, flush=True)
        await asyncio.sleep(1.0)
    if path == "/hang":
        print("hanging request started", file=sys.stderr, flush=True)
        await asyncio.sleep(60)
    if path == "/block":
        time.sleep(0.3)  # blocks this worker, so a concurrent request goes to another
    body = f"{VERSION} pid={os.getpid()} path={path}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
'''


class ServerProcess:
    """`python -m minihttp` running in a temporary directory, its stderr collected."""

    def __init__(self, directory: Path, *arguments: str, env: dict[str, str] | None = None):
        environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "minihttp", *arguments],
            cwd=directory, env=environment, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self.collect, daemon=True)
        self.reader.start()

    def collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for_line(self, pattern: str, count: int = 1) -> re.Match:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            matches = [m for m in (re.search(pattern, line) for line in list(self.lines)) if m]
            if len(matches) >= count:
                return matches[count - 1]
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    @property
    def url(self) -> str:
        match = self.wait_for_line(r"listening on (http://\S+)")
        return match.group(1)

    def stop(self, signal_number: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        try:
            return self.process.wait(WAIT)
        finally:
            self.reader.join(WAIT)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)


def write_app(directory: Path, version: str = "v1") -> Path:
    path = directory / "cliapp.py"
    path.write_text(f"VERSION = {version!r}\n" + APP_SOURCE)
    return path


@pytest.mark.parametrize("loop_name", ["mini", "asyncio", "uvloop"])
def test_the_cli_starts_serves_and_stops_on_sigterm(tmp_path, loop_name):
    write_app(tmp_path)
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0", "--loop", loop_name) as server:
        line = server.wait_for_line(r"listening on .*")
        response = httpx.get(server.url + "/hello")
        status = server.stop()
    assert f"(loop {loop_name}, 1 worker, pid" in line.group(0)
    assert response.text.startswith("v1 pid=") and response.text.endswith("path=/hello")
    assert status == 0
    assert any('"GET /hello HTTP/1.1" 200' in line for line in server.lines)  # the access log


@pytest.mark.parametrize("loop_name", ["mini", "asyncio", "uvloop"])
def test_sigterm_during_a_slow_request_lets_it_complete(tmp_path, loop_name):
    write_app(tmp_path)
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0", "--loop", loop_name) as server:
        url = server.url
        result: list[httpx.Response] = []
        client = threading.Thread(target=lambda: result.append(httpx.get(url + "/slow", timeout=WAIT)))
        client.start()
        server.wait_for_line(r"slow request started")
        server.process.send_signal(signal.SIGTERM)
        client.join(WAIT)
        status = server.process.wait(WAIT)
    assert result and result[0].status_code == 200 and result[0].text.endswith("path=/slow")
    assert status == 0


def test_a_second_sigterm_during_shutdown_stops_waiting_and_exits_0(tmp_path):
    write_app(tmp_path)
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0") as server:
        url = server.url
        errors: list[Exception] = []

        def hang():
            try:
                httpx.get(url + "/hang", timeout=WAIT)
            except httpx.HTTPError as error:
                errors.append(error)

        client = threading.Thread(target=hang)
        client.start()
        server.wait_for_line(r"hanging request started")
        server.process.send_signal(signal.SIGTERM)
        server.wait_for_line(r"shutting down")
        server.process.send_signal(signal.SIGTERM)
        status = server.process.wait(WAIT)
        client.join(WAIT)
    assert status == 0
    assert errors and isinstance(errors[0], httpx.RemoteProtocolError)  # closed unanswered
    assert any("did not finish in time" in line for line in server.lines)


def test_workers_all_serve_and_a_killed_worker_is_replaced(tmp_path):
    write_app(tmp_path)
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0", "--workers", "2") as server:
        url = server.url
        assert "2 workers" in server.wait_for_line(r"listening on .*").group(0)
        first = int(server.wait_for_line(r"started worker (\d+)", 1).group(1))
        second = int(server.wait_for_line(r"started worker (\d+)", 2).group(1))
        seen: set[str] = set()
        for _ in range(10):  # blocking requests in parallel land on both workers
            threads = [threading.Thread(target=lambda: seen.add(
                httpx.get(url + "/block", timeout=WAIT).text.split()[1])) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(WAIT)
            if len(seen) == 2:
                break
        os.kill(first, signal.SIGKILL)
        replacement = int(server.wait_for_line(r"started worker (\d+)", 3).group(1))
        after = httpx.get(url + "/after-kill", timeout=WAIT)
        status = server.stop()
    assert seen == {f"pid={first}", f"pid={second}"}
    assert replacement not in (first, second)
    assert after.status_code == 200
    assert status == 0


def test_reload_restarts_the_worker_when_a_file_changes(tmp_path):
    app_file = write_app(tmp_path, "v1")
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0", "--reload") as server:
        url = server.url
        before = httpx.get(url + "/").text
        time.sleep(0.05)
        write_app(tmp_path, "v2")
        os.utime(app_file, (time.time() + 5, time.time() + 5))  # a surely newer mtime
        server.wait_for_line(r"reloading: .*cliapp\.py changed")
        server.wait_for_line(r"started worker (\d+)", 2)
        after = ""
        deadline = time.monotonic() + WAIT
        while not after.startswith("v2") and time.monotonic() < deadline:
            try:
                after = httpx.get(url + "/").text
            except httpx.HTTPError:
                time.sleep(0.05)  # the new worker is still starting
        status = server.stop()
    assert before.startswith("v1")
    assert after.startswith("v2")
    assert status == 0


def test_a_failed_startup_exits_non_zero_with_the_reason(tmp_path):
    write_app(tmp_path)
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0", env={"FAIL_STARTUP": "1"}) as server:
        status = server.process.wait(WAIT)
        server.reader.join(WAIT)
    assert status == 3
    assert "startup failed" in "".join(server.lines) and "no database" in "".join(server.lines)


def test_an_app_that_cannot_be_imported_exits_with_a_clear_message(tmp_path):
    with ServerProcess(tmp_path, "nothing_here:app", "--port", "0") as server:
        status = server.process.wait(WAIT)
        server.reader.join(WAIT)
    assert status == 1
    assert "could not import module 'nothing_here'" in "".join(server.lines)


def test_help_lists_every_option():
    result = subprocess.run(
        [sys.executable, "-m", "minihttp", "--help"], capture_output=True, text=True,
        cwd=ROOT, timeout=WAIT,
    )
    assert result.returncode == 0
    for option in ("--host", "--port", "--uds", "--fd", "--loop", "--workers", "--reload",
                   "--proxy-headers", "--forwarded-allow-ips", "--root-path",
                   "--timeout-keep-alive", "--limit-concurrency", "--log-level",
                   "--access-log", "--no-access-log", "--trace", "--factory"):
        assert option in result.stdout
    assert "python -m minihttp examples.hello:app" in result.stdout


def test_a_unix_socket_and_a_factory_work(tmp_path):
    (tmp_path / "factoryapp.py").write_text(
        "def create():\n"
        "    async def app(scope, receive, send):\n"
        "        if scope['type'] != 'http':\n"
        "            return\n"
        "        await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "        await send({'type': 'http.response.body', 'body': b'from a factory'})\n"
        "    return app\n"
    )
    socket_path = tmp_path / "server.sock"
    with ServerProcess(tmp_path, "factoryapp:create", "--factory", "--uds", str(socket_path)) as server:
        server.wait_for_line(r"listening on unix:")
        transport = httpx.HTTPTransport(uds=str(socket_path))
        with httpx.Client(transport=transport) as client:
            response = client.get("http://localhost/")
        status = server.stop(signal.SIGINT)
    assert response.text == "from a factory"
    assert status == 0


def test_an_inherited_listening_socket_is_served_with_fd(tmp_path):
    write_app(tmp_path)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "minihttp", "cliapp:app", "--fd", str(listener.fileno())],
        cwd=tmp_path, env=environment, stderr=subprocess.PIPE, text=True,
        pass_fds=[listener.fileno()],
    )
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/inherited", timeout=WAIT)
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(WAIT)
        listener.close()
    assert response.text.endswith("path=/inherited")
    assert status == 0


def test_workers_that_fail_to_start_stop_the_supervisor_with_their_status(tmp_path):
    write_app(tmp_path)
    with ServerProcess(tmp_path, "cliapp:app", "--port", "0", "--workers", "2",
                       env={"FAIL_STARTUP": "1"}) as server:
        status = server.process.wait(WAIT)
        server.reader.join(WAIT)
    assert status == 3
    assert "failed to start (exit 3): stopping" in "".join(server.lines)


def test_http_options_reach_the_scope(tmp_path):
    (tmp_path / "scopeapp.py").write_text(
        "import json\n"
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    shown = {key: scope[key] for key in ('path', 'root_path', 'scheme', 'client')}\n"
        "    body = json.dumps(shown).encode()\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': body})\n"
    )
    arguments = ["scopeapp:app", "--port", "0", "--root-path", "/api", "--proxy-headers",
                 "--forwarded-allow-ips", "127.0.0.1", "--no-access-log"]
    with ServerProcess(tmp_path, *arguments) as server:
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        shown = httpx.get(server.url + "/items", headers=headers).json()
        status = server.stop()
    assert shown == {"path": "/api/items", "root_path": "/api", "scheme": "https",
                     "client": ["203.0.113.9", 0]}
    assert status == 0
    assert not any('"GET /items' in line for line in server.lines)  # --no-access-log
