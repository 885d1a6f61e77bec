"""examples/oidc_login: the click-through its docstring promises works, offline.

`python -m examples.oidc_login` runs in a subprocess (the app and the local
provider on two 127.0.0.1 ports); httpx plays the browser and clicks "Sign in",
following each redirect by hand with its cookies. The Google configuration is
checked in-process: building the app for Google touches no network.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from examples.oidc_login.__main__ import build_apps, main
from examples.oidc_login.app import create_app, settings_from_environment
from miniasgi.testclient import TestClient
from miniauth.oidc_tokens import seal

ROOT = Path(__file__).resolve().parents[2]
GOOGLE = {"OIDC_ISSUER": "https://accounts.google.com", "OIDC_CLIENT_ID": "id.apps.example",
          "OIDC_CLIENT_SECRET": "secret", "SECRET_KEY": "k" * 32}


def two_free_ports() -> int:
    """A port P such that P and P + 1 are both free now (the example uses both)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            with socket.socket() as first, socket.socket() as second:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise AssertionError("found no two neighbouring free ports")


@contextmanager
def running_example(**environment: str) -> Iterator[str]:
    port = two_free_ports()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **environment}
    env.pop("OIDC_ISSUER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.oidc_login", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a bound on start-up (it makes an RSA key), not a timing
    while True:
        try:
            httpx.get(url + "/", timeout=5)
            httpx.get(f"http://127.0.0.1:{port + 1}/jwks", timeout=5)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                reader.join(5)
                raise AssertionError("the example did not start:\n" + "".join(lines)) from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(30)
        reader.join(5)
        assert status == 0, "".join(lines)
        assert f"open {url}/ and click Sign in" in "".join(lines)


def follow(browser: httpx.Client, response: httpx.Response, base: str) -> httpx.Response:
    """Follow redirects one by one, as a browser does, resolving relative locations."""
    while response.is_redirect:
        location = response.headers["location"]
        url = location if location.startswith("http") else base + location
        response = browser.get(url)
    return response


@pytest.mark.slow
def test_a_student_signs_in_sees_who_they_are_and_signs_out() -> None:
    with running_example() as url, httpx.Client(timeout=30) as browser:
        home = browser.get(url + "/")
        link = re.search(r'<a href="([^"]+)">Sign in with Google', home.text)
        assert link is not None, home.text
        signed_in = follow(browser, browser.get(url + link.group(1)), url)
        assert signed_in.url == url + "/"
        assert "Hello, Alice Example!" in signed_in.text
        assert browser.get(url + "/me").json()["email"] == "alice@example.com"
        signed_out = follow(browser, browser.post(url + "/auth/logout"), url)
        assert "Sign in with Google" in signed_out.text
        assert browser.get(url + "/me").status_code == 401


@pytest.mark.slow
def test_with_provider_consent_the_student_can_deny() -> None:
    with running_example(PROVIDER_CONSENT="1") as url, httpx.Client(timeout=30) as browser:
        consent = follow(browser, browser.get(url + "/auth/login"), url)
        assert "Sign in as alice@example.com" in consent.text
        fields = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', consent.text))
        denied = browser.post(str(consent.url).split("?")[0], data={**fields, "decision": "deny"})
        answer = browser.get(denied.headers["location"])
        assert answer.status_code == 401
        assert "<h1>Sign-in failed</h1>" in answer.text
        assert "the provider answered access_denied: the user said no" in answer.text


# -- configured for Google: built without touching the network -------------------------------


def test_google_settings_come_from_the_environment() -> None:
    settings = settings_from_environment({**GOOGLE, "OIDC_REDIRECT_URI": "https://a.example/cb"})
    assert (settings.issuer, settings.client_id) == ("https://accounts.google.com",
                                                     "id.apps.example")
    assert settings.redirect_uri == "https://a.example/cb"
    assert settings.authorization_parameters == {"prompt": "select_account"}


def test_a_missing_client_secret_is_named() -> None:
    environment = {name: value for name, value in GOOGLE.items() if name != "OIDC_CLIENT_SECRET"}
    with pytest.raises(ValueError, match=r"missing: \['OIDC_CLIENT_SECRET'\]"):
        settings_from_environment(environment)


def test_with_google_configured_only_the_app_is_served() -> None:
    apps = build_apps("127.0.0.1", 8000, environ=GOOGLE)
    assert [what for _, _, what in apps] == ["the app"]


def test_the_home_page_links_to_the_login_and_greets_a_signed_in_user_escaped() -> None:
    app = create_app(settings_from_environment(GOOGLE))
    with TestClient(app) as client:
        assert '<a href="/auth/login?next=/">Sign in with Google</a>' in client.get("/").text
        assert client.get("/me").status_code == 401
        session = seal({"sub": "7", "name": "<b>Ada</b>"}, GOOGLE["SECRET_KEY"].encode(),
                       purpose="oidc-session", now=time.time(), max_age=60)
        client.cookies.set("oidc_session", session)
        page = client.get("/").text
        assert "Hello, &lt;b&gt;Ada&lt;/b&gt;!" in page
        assert client.get("/me").json() == {"sub": "7", "name": "<b>Ada</b>"}


def test_the_docs_page_lists_the_login_routes_but_not_the_callback() -> None:
    with TestClient(create_app(settings_from_environment(GOOGLE))) as client:
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/auth/login", "/auth/logout", "/me"} <= set(paths)
        assert "/auth/callback" not in paths
        assert client.get("/docs").status_code == 200


def test_a_busy_port_is_reported_not_raised(capsys: pytest.CaptureFixture) -> None:
    port = two_free_ports()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port + 1))
        squatter.listen()
        assert main(["--port", str(port)]) == 1
    assert f"cannot listen on http://127.0.0.1:{port + 1}" in capsys.readouterr().err


def test_google_without_a_client_id_is_reported(monkeypatch, capsys) -> None:
    monkeypatch.setenv("OIDC_ISSUER", "https://accounts.google.com")
    monkeypatch.delenv("OIDC_CLIENT_ID", raising=False)
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "secret")
    assert main(["--port", "8000"]) == 1
    assert "missing: ['OIDC_CLIENT_ID']" in capsys.readouterr().err
