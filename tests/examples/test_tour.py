"""Every step of the tour starts, listens, and answers a real request over a socket.

Each step runs as `python -m examples.tour.NN_name --port P`, exactly as a
student runs it, in a subprocess that the test stops afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CANNED_STEPS = ["01_blocking_server", "02_threaded_server", "03_select_server",
                "04_selector_callbacks", "05_coroutines"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_step(step: str):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", f"examples.tour.{step}", "--port", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"{step} exited with {process.returncode}: {process.stdout.read()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{step} did not listen on port {port}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output = process.stdout.read()
        process.stdout.close()
        assert "try:" in output, f"{step} printed no hint of what to try:\n{output}"


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("step", CANNED_STEPS)
def test_canned_steps_answer_every_request(step):
    number = int(step[:2])
    with running_step(step) as url:
        for _ in range(2):  # a second request proves the server went back to accepting
            response = httpx.get(url + "/anything", timeout=10)
            assert response.status_code == 200
            assert response.text == f"Hello from step {number}!\n"


def test_steps_2_to_5_serve_a_client_while_another_sends_nothing():
    for step in CANNED_STEPS[1:]:
        with running_step(step) as url:
            port = int(url.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port)):  # connected, silent
                assert httpx.get(url, timeout=10).status_code == 200


def test_step_6_reports_both_parsers_and_refuses_a_malformed_head():
    with running_step("06_http_parsing") as url:
        response = httpx.get(url + "/hello?x=1", headers={"X-Demo": "yes"}, timeout=10)
        assert response.status_code == 200
        assert "minihttp.http11: GET /hello?x=1 HTTP/1.1" in response.text
        assert "parse_by_hand:   GET /hello?x=1" in response.text
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n")
            assert raw.recv(4096).startswith(b"HTTP/1.1 400 ")


def test_step_7_raw_asgi_app_echoes_the_scope():
    with running_step("07_raw_asgi") as url:
        response = httpx.get(url + "/hello?name=Ada", timeout=10)
        assert response.status_code == 200
        assert response.json()["path"] == "/hello"
        assert response.json()["query_string"] == "name=Ada"


def test_step_8_framework_validates_and_serves_docs():
    with running_step("08_framework") as url:
        response = httpx.get(url + "/hello", params={"name": "Ada", "times": 2}, timeout=10)
        assert response.json() == {"greeting": "Hello, Ada! Hello, Ada!"}
        refused = httpx.get(url + "/hello", params={"times": 9}, timeout=10)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", "times"]
        assert httpx.get(url + "/docs", timeout=10).status_code == 200
