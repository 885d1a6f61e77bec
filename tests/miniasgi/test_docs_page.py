"""Specification of miniasgi.docs: the /docs page works offline and lets a user try the API.

The page must load nothing from another host (no CDN, no web font), so the first
tests read the HTML and the assets. The end-to-end tests then serve a real API
with Uvicorn on 127.0.0.1, open the page in headless Chromium and drive it
through the Chrome DevTools Protocol the way a user would: expand an operation,
fill its parameters, press Execute, log in through the Authorize dialog.

The API behind the page is written once and run both as a miniasgi App (which
serves /docs itself) and as a FastAPI app with the page mounted on it: the page
must work on our document and on FastAPI's.

The test module does not use `from __future__ import annotations`: the
frameworks read the backend's annotations at run time.
"""

import asyncio
import contextlib
import html.parser
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniasgi.docs import (
    ASSET_MEDIA_TYPES,
    CONTENT_SECURITY_POLICY,
    docs_asset,
    docs_headers,
    docs_html,
)

# -- the page references only its own origin ---------------------------------------------


class _UrlCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attributes):
        for name, value in attributes:
            if name in ("src", "href", "action", "data-openapi-url") and value is not None:
                self.urls.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _page(**overrides) -> str:
    arguments = {"openapi_url": "/openapi.json", "title": "Shop", "assets_url": "/docs/assets"}
    return docs_html(**(arguments | overrides))


def test_the_page_references_only_local_urls():
    collector = _UrlCollector()
    collector.feed(_page())
    assert collector.urls, "the page should reference its script, stylesheet and document"
    for url in collector.urls:
        assert not re.match(r"^[a-z]+:", url) or url.startswith("data:"), url
        assert not url.startswith("//"), url


def test_the_page_links_its_script_stylesheet_and_document_under_the_given_urls():
    page = _page(openapi_url="/api/openapi.json", assets_url="/api/docs/assets/")
    assert 'src="/api/docs/assets/docs.js"' in page
    assert 'href="/api/docs/assets/docs.css"' in page
    assert 'data-openapi-url="/api/openapi.json"' in page


def test_the_page_has_no_inline_script_so_the_content_security_policy_can_forbid_it():
    collector = _UrlCollector()
    collector.feed(_page())
    assert collector.inline_scripts == []
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert docs_headers() == {"content-security-policy": CONTENT_SECURITY_POLICY}


@pytest.mark.parametrize(
    "title",
    ['Shop <script>alert("x")</script>', 'a" onload="alert(1)', "R&D"],
)
def test_the_title_and_urls_are_escaped_into_the_html(title):
    page = _page(title=title, openapi_url='/x"><script>')
    assert "<script>alert" not in page
    assert 'onload="alert' not in page
    assert '/x"><script>' not in page
    collector = _UrlCollector()
    collector.feed(page)
    assert collector.inline_scripts == []


def test_a_title_that_looks_like_a_placeholder_is_shown_as_written():
    page = _page(title="{{openapi_url}} API")
    assert "<title>{{openapi_url}} API</title>" in page
    assert "{{assets_url}}" not in page and "{{title}}" not in page


@pytest.mark.parametrize("name", sorted(ASSET_MEDIA_TYPES))
def test_every_asset_is_served_with_its_media_type_and_calls_no_other_host(name):
    content, media_type = docs_asset(name)
    assert media_type == ASSET_MEDIA_TYPES[name]
    text = content.decode("utf-8")
    assert len(text) > 1000
    assert re.findall(r"https?://", text) == []
    assert "@import" not in text
    assert re.findall(r"url\((?!data:)", text) == []


@pytest.mark.parametrize(
    "name",
    ["docs.html", "../docs.py", "../../pyproject.toml", "", "DOCS.JS", "docs.js/", "static/docs.js"],
)
def test_names_outside_the_asset_list_are_not_found(name):
    assert docs_asset(name) is None


# -- end to end: a real browser on a real server -------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed: apt-get install -y chromium "
    "(CI needs this step to run the browser tests of the docs page)",
)


# The API behind the page, written once and run twice: as a miniasgi App (which
# serves /docs itself) and as a FastAPI app with the page mounted on it, so the page
# is tried against both our document and FastAPI's.
BACKEND_SOURCE = """
from typing import Annotated


class Item(Model):
    name: str
    price: float


app = App(title="Shop", version="2.0", description="A shop to try.")
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read", "write": "Write"})
api_key = APIKeyHeader(name="X-API-Key")
bearer = HTTPBearer()
basic = HTTPBasic()


@app.post("/token")
def login(username: Annotated[str, Form()], password: Annotated[str, Form()],
          scope: Annotated[str, Form()] = ""):
    if password != "secret":
        raise HTTPException(400, "Incorrect username or password")
    return {"access_token": f"token-of-{username}[{scope}]", "token_type": "bearer"}


@app.get("/items/{item_id}", tags=["items"])
def read_item(item_id: int, q: str | None = None, x_trace: Annotated[str, Header()] = "-",
              tag: Annotated[list[str] | None, Query()] = None):
    return {"item_id": item_id, "q": q, "trace": x_trace, "tags": tag}


@app.post("/items/", tags=["items"], status_code=201)
def create_item(item: Item):
    return item


@app.get("/users/me", tags=["users"])
def read_me(token: Annotated[str, Depends(oauth2)]):
    return {"token": token}


@app.get("/admin", tags=["users"])
def admin(key: Annotated[str, Depends(api_key)]):
    return {"key": key}


@app.get("/whoami", tags=["users"])
def whoami(credentials: Annotated[object, Depends(bearer)]):
    return {"scheme": credentials.scheme, "token": credentials.credentials}


@app.get("/basic", tags=["users"])
def basic_user(credentials: Annotated[object, Depends(basic)]):
    return {"username": credentials.username, "password": credentials.password}


@app.post("/upload", tags=["files"])
async def upload(files: Annotated[list[UploadFile], File()], note: Annotated[str, Form()] = "-"):
    contents = [(upload.filename, (await upload.read()).decode()) for upload in files]
    return {"files": contents, "note": note}


@app.get("/session", tags=["files"])
def session(session_id: Annotated[str, Cookie()]):
    return {"session_id": session_id}


@app.get("/docs-of-nothing", include_in_schema=False)
def docs_of_nothing():
    page = docs_html(openapi_url="/missing.json", title="Nothing", assets_url="/docs/assets")
    return HTMLResponse(page, headers=docs_headers())
"""

FASTAPI_HEADER = """
from fastapi import Cookie, Depends, FastAPI, File, Form, Header, HTTPException, Query
from fastapi import UploadFile
from fastapi.responses import HTMLResponse
from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBearer, OAuth2PasswordBearer
from pydantic import BaseModel as Model
from miniasgi.docs import docs_headers, docs_html


def App(**options):
    return FastAPI(docs_url=None, redoc_url=None, **options)
"""

MINIASGI_HEADER = """
from types import SimpleNamespace

from miniasgi import App, Cookie, Depends, File, Form, Header, HTTPException, HTMLResponse, Model
from miniasgi import Query
from miniasgi import Request, SecurityBase, UploadFile
from miniasgi.docs import docs_headers, docs_html


# miniauth will provide these schemes; here they are the least that works.
def _credentials(request, scheme):
    found_scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if found_scheme.lower() != scheme or not credentials:
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return SimpleNamespace(scheme=found_scheme, credentials=credentials)


class OAuth2PasswordBearer(SecurityBase):
    def __init__(self, tokenUrl, scopes):
        self.token_url, self.scopes = tokenUrl, scopes

    def openapi_scheme(self):
        flow = {"scopes": self.scopes, "tokenUrl": self.token_url}
        return {"type": "oauth2", "flows": {"password": flow}}

    def __call__(self, request: Request):
        return _credentials(request, "bearer").credentials


class HTTPBearer(SecurityBase):
    def openapi_scheme(self):
        return {"type": "http", "scheme": "bearer"}

    def __call__(self, request: Request):
        return _credentials(request, "bearer")


class HTTPBasic(SecurityBase):
    def openapi_scheme(self):
        return {"type": "http", "scheme": "basic"}

    def __call__(self, request: Request):
        import base64

        pair = base64.b64decode(_credentials(request, "basic").credentials).decode()
        username, _, password = pair.partition(":")
        return SimpleNamespace(username=username, password=password)


class APIKeyHeader(SecurityBase):
    def __init__(self, name):
        self.name = name

    def openapi_scheme(self):
        return {"type": "apiKey", "in": "header", "name": self.name}

    def __call__(self, request: Request):
        if self.name.lower() not in request.headers:
            raise HTTPException(401, "Not authenticated")
        return request.headers[self.name.lower()]
"""


def _backend_app(framework: str):
    namespace = {"__name__": f"docs_backend_{framework}"}
    header = FASTAPI_HEADER if framework == "fastapi" else MINIASGI_HEADER
    exec(header + BACKEND_SOURCE, namespace)  # our own source text, two headers
    app = namespace["app"]
    if framework == "fastapi":
        _mount_docs_page(app)
    return app


def _mount_docs_page(app):
    from fastapi import HTTPException
    from fastapi.responses import HTMLResponse, Response

    @app.get("/docs", include_in_schema=False)
    def docs():
        page = docs_html(openapi_url="/openapi.json", title="Shop", assets_url="/docs/assets")
        return HTMLResponse(page, headers=docs_headers())

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def asset(name: str):
        found = docs_asset(name)
        if found is None:
            raise HTTPException(404, f"no docs asset named {name!r}")
        return Response(found[0], media_type=found[1])


def _serve_with_uvicorn(app, listener):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    _wait_until(lambda: server.started, "uvicorn did not start")

    def stop():
        server.should_exit = True
        thread.join(10)

    return stop


def _serve_with_minihttp(app, listener):
    from minihttp.config import Config
    from minihttp.main import Server, loop_factory

    config = Config(app=app, loop="mini", lifespan="off", access_log=False, log_level="warning")
    started = threading.Event()
    control = {}

    async def serve():
        loop = asyncio.get_running_loop()
        control["loop"], control["stop"] = loop, loop.create_future()
        server = Server(config)
        await server.start(listener)
        started.set()
        await control["stop"]
        await server.stop()

    def run():
        with asyncio.Runner(loop_factory=loop_factory(config.loop)) as runner:
            runner.run(serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    _wait_until(started.is_set, "minihttp did not start")

    def stop():
        control["loop"].call_soon_threadsafe(control["stop"].set_result, None)
        thread.join(10)

    return stop


# (framework, server): our app on both servers, and FastAPI's app on Uvicorn.
BACKENDS = [("miniasgi", "uvicorn"), ("miniasgi", "minihttp"), ("fastapi", "uvicorn")]


@pytest.fixture(scope="module", params=BACKENDS, ids=["-".join(each) for each in BACKENDS])
def server_url(request):
    framework, server = request.param
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    serve = _serve_with_uvicorn if server == "uvicorn" else _serve_with_minihttp
    stop = serve(_backend_app(framework), listener)
    yield f"http://127.0.0.1:{port}"
    stop()
    listener.close()


def _wait_until(condition, failure: str, attempts: int = 200):
    """Poll `condition` (bounded: this asserts nothing about how long it takes)."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(failure)


class Browser:
    """Headless Chromium driven over the DevTools Protocol (one page)."""

    def __init__(self, profile: Path):
        from websockets.sync.client import connect

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run",
             f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = profile / "DevToolsActivePort"
        _wait_until(lambda: port_file.exists() and port_file.read_text().strip(),
                    "Chromium did not open its DevTools port", attempts=600)  # fmt: skip
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            pages = [target for target in json.load(answer) if target["type"] == "page"]
        self.exit_stack = contextlib.ExitStack()
        self.socket = self.exit_stack.enter_context(
            connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        )
        self.next_id = 0

    def command(self, method: str, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method} failed: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        """Run JavaScript in the page (awaiting a promise) and return its JSON value."""
        result = self.command(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, failure: str):
        _wait_until(lambda: self.evaluate(expression), failure)

    def close(self):
        self.exit_stack.close()
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    opened = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    yield opened
    opened.close()


@pytest.fixture
def browser(chromium):
    """The module's Chromium, on a blank page: each test loads the docs afresh."""
    chromium.command("Page.navigate", url="about:blank")
    return chromium


# Helpers that run in the page: find an operation's panel, set an input, click.
PAGE_HELPERS = """
window.panel = (id) => document.querySelector(`details[data-operation-id="${id}"]`);
window.fill = (id, name, value) => {
  const input = panel(id).querySelector(`input[name="${name}"]`);
  input.value = value;
};
window.run = (id) => { panel(id).open = true; panel(id).querySelector("button.execute").click(); };
window.result = (id) => {
  const box = panel(id).querySelector(".result");
  const status = box.querySelector(".status-code");
  const error = box.querySelector(".error");
  return {status: status && status.textContent, error: error && error.textContent,
          body: box.querySelector(".response-body") && box.querySelector(".response-body").textContent,
          headers: box.querySelector(".response-headers") && box.querySelector(".response-headers").textContent,
          request: box.querySelector(".request-line") && box.querySelector(".request-line").textContent,
          curl: box.querySelector(".curl") && box.querySelector(".curl").textContent};
};
true
"""


def _open_docs(browser: Browser, server_url: str):
    browser.command("Page.enable")
    browser.command("Page.navigate", url=server_url + "/docs")
    browser.wait_for(
        "document.querySelectorAll('details.operation').length > 0",
        "the docs page rendered no operations",
    )
    browser.evaluate(PAGE_HELPERS)


def _result_when_done(browser: Browser, operation_id: str) -> dict:
    browser.wait_for(
        f"(r => r.status || r.error)(result({json.dumps(operation_id)}))",
        f"{operation_id}: no response was shown",
    )
    return browser.evaluate(f"result({json.dumps(operation_id)})")


@pytest.mark.slow
@needs_chromium
def test_the_page_lists_the_operations_grouped_by_tag(browser, server_url):
    _open_docs(browser, server_url)
    groups = browser.evaluate(
        "[...document.querySelectorAll('section.tag')].map(s => [s.dataset.tag,"
        " [...s.querySelectorAll('details.operation')].map(d => d.dataset.operationId)])"
    )
    assert groups == [
        ["default", ["login_token_post"]],
        ["items", ["read_item_items__item_id__get", "create_item_items__post"]],
        ["users", ["read_me_users_me_get", "admin_admin_get", "whoami_whoami_get",
                   "basic_user_basic_get"]],
        ["files", ["upload_upload_post", "session_session_get"]],
    ]
    header = browser.evaluate(
        "[document.title, document.getElementById('api-version').textContent,"
        " document.getElementById('api-description').textContent]"
    )
    assert header == ["Shop", "v2.0", "A shop to try."]
    parameters = browser.evaluate(
        "[...panel('read_item_items__item_id__get').querySelectorAll('input')]"
        ".map(i => [i.name, i.dataset.in])"
    )
    assert parameters == [
        ["item_id", "path"], ["q", "query"], ["tag", "query"], ["x-trace", "header"]
    ]  # fmt: skip
    body_schema = browser.evaluate(
        "panel('create_item_items__post').querySelector('.request-body pre').textContent"
    )
    assert "name*: string" in body_schema and "price*: number" in body_schema


@pytest.mark.slow
@needs_chromium
def test_execute_sends_path_query_and_header_parameters_and_shows_the_response(
    browser, server_url
):
    _open_docs(browser, server_url)
    operation = "read_item_items__item_id__get"
    browser.evaluate(
        f"fill('{operation}', 'item_id', '42'); fill('{operation}', 'q', 'a b&c');"
        f"fill('{operation}', 'x-trace', 'abc'); fill('{operation}', 'tag', 'x, y');"
        f"run('{operation}'); true"
    )
    result = _result_when_done(browser, operation)
    assert result["status"].startswith("200")
    assert json.loads(result["body"]) == {
        "item_id": 42, "q": "a b&c", "trace": "abc", "tags": ["x", "y"]
    }  # fmt: skip
    assert "content-type: application/json" in result["headers"]
    assert result["request"] == f"GET {server_url}/items/42?q=a+b%26c&tag=x&tag=y"
    assert result["curl"] == (
        f"curl -X GET '{server_url}/items/42?q=a+b%26c&tag=x&tag=y' -H 'x-trace: abc'"
    )


@pytest.mark.slow
@needs_chromium
def test_a_json_body_is_sent_and_server_validation_errors_are_shown(browser, server_url):
    _open_docs(browser, server_url)
    operation = "create_item_items__post"
    prefilled = browser.evaluate(
        f"JSON.parse(panel('{operation}').querySelector('textarea').value)"
    )
    assert prefilled == {"name": "string", "price": 0}
    browser.evaluate(
        f"panel('{operation}').querySelector('textarea').value = "
        "'{\"name\": \"pen\", \"price\": 1.5}'; "
        f"run('{operation}'); true"
    )
    result = _result_when_done(browser, operation)
    assert result["status"].startswith("201")
    assert json.loads(result["body"]) == {"name": "pen", "price": 1.5}

    browser.evaluate(
        f"panel('{operation}').querySelector('.result').replaceChildren();"
        f"panel('{operation}').querySelector('textarea').value = '{{\"name\": \"pen\"}}';"
        f"run('{operation}'); true"
    )
    result = _result_when_done(browser, operation)
    assert result["status"].startswith("422")
    assert json.loads(result["body"])["detail"][0]["loc"] == ["body", "price"]


@pytest.mark.slow
@needs_chromium
def test_bad_input_is_reported_on_the_page_without_sending(browser, server_url):
    _open_docs(browser, server_url)
    operation = "create_item_items__post"
    browser.evaluate(
        f"panel('{operation}').querySelector('textarea').value = '{{name: pen'; "
        f"run('{operation}'); true"
    )
    result = _result_when_done(browser, operation)
    assert "not valid JSON" in result["error"]
    operation = "read_item_items__item_id__get"
    browser.evaluate(f"run('{operation}'); true")
    result = _result_when_done(browser, operation)
    assert result["error"] == 'path parameter "item_id" is required'


@pytest.mark.slow
@needs_chromium
def test_authorize_logs_in_with_the_oauth2_password_flow_and_sends_the_bearer_token(
    browser, server_url
):
    _open_docs(browser, server_url)
    operation = "read_me_users_me_get"
    browser.evaluate(f"run('{operation}'); true")
    assert _result_when_done(browser, operation)["status"].startswith("401")
    assert browser.evaluate(f"panel('{operation}').querySelector('.lock').textContent") == (
        "needs auth"
    )

    scheme = "document.querySelector('fieldset[data-scheme=\"OAuth2PasswordBearer\"]')"
    browser.evaluate(
        "document.getElementById('authorize-button').click();"
        f"{scheme}.querySelector('input[name=username]').value = 'alice';"
        f"{scheme}.querySelector('input[name=password]').value = 'wrong';"
        f"{scheme}.querySelector('button.authorize-scheme').click(); true"
    )
    browser.wait_for(
        f"{scheme}.querySelector('.error').textContent.startsWith('login failed')",
        "a failed login was not reported",
    )
    assert "Incorrect username or password" in browser.evaluate(
        f"{scheme}.querySelector('.error').textContent"
    )
    browser.evaluate(
        f"{scheme}.querySelector('input[name=password]').value = 'secret';"
        f"{scheme}.querySelector('button.authorize-scheme').click(); true"
    )
    browser.wait_for(f"{scheme}.querySelector('.authorized') !== null", "login did not succeed")
    assert browser.evaluate(f"panel('{operation}').querySelector('.lock').textContent") == (
        "authorized ✓"
    )

    browser.evaluate(
        f"panel('{operation}').querySelector('.result').replaceChildren(); run('{operation}'); true"
    )
    result = _result_when_done(browser, operation)
    assert result["status"].startswith("200")
    assert json.loads(result["body"]) == {"token": "token-of-alice[]"}


@pytest.mark.slow
@needs_chromium
def test_the_scopes_ticked_in_authorize_are_requested_from_the_token_endpoint(
    browser, server_url
):
    _open_docs(browser, server_url)
    scheme = "document.querySelector('fieldset[data-scheme=\"OAuth2PasswordBearer\"]')"
    scopes = browser.evaluate(
        f"[...{scheme}.querySelectorAll('input[type=checkbox]')].map(box => box.value)"
    )
    assert scopes == ["read", "write"]
    browser.evaluate(
        f"{scheme}.querySelector('input[name=username]').value = 'bob';"
        f"{scheme}.querySelector('input[name=password]').value = 'secret';"
        f"{scheme}.querySelectorAll('input[type=checkbox]').forEach(box => box.checked = true);"
        f"{scheme}.querySelector('button.authorize-scheme').click(); true"
    )
    browser.wait_for(f"{scheme}.querySelector('.authorized') !== null", "login did not succeed")
    browser.evaluate("run('read_me_users_me_get'); true")
    result = _result_when_done(browser, "read_me_users_me_get")
    assert json.loads(result["body"]) == {"token": "token-of-bob[read write]"}


@pytest.mark.slow
@needs_chromium
def test_http_basic_credentials_are_sent_base64_encoded(browser, server_url):
    _open_docs(browser, server_url)
    scheme = "document.querySelector('fieldset[data-scheme=\"HTTPBasic\"]')"
    browser.evaluate(
        f"{scheme}.querySelector('input[name=username]').value = 'carol';"
        f"{scheme}.querySelector('input[name=password]').value = 'pa:ss';"
        f"{scheme}.querySelector('button.authorize-scheme').click(); run('basic_user_basic_get');"
        "true"
    )
    result = _result_when_done(browser, "basic_user_basic_get")
    assert json.loads(result["body"]) == {"username": "carol", "password": "pa:ss"}
    assert "-H 'authorization: Basic Y2Fyb2w6cGE6c3M='" in result["curl"]


@pytest.mark.slow
@needs_chromium
def test_an_api_key_entered_in_authorize_is_sent_in_its_header(browser, server_url):
    _open_docs(browser, server_url)
    scheme = "document.querySelector('fieldset[data-scheme=\"APIKeyHeader\"]')"
    browser.evaluate(
        f"{scheme}.querySelector('input').value = 'k-123';"
        f"{scheme}.querySelector('button.authorize-scheme').click(); run('admin_admin_get'); true"
    )
    result = _result_when_done(browser, "admin_admin_get")
    assert result["status"].startswith("200")
    assert json.loads(result["body"]) == {"key": "k-123"}


@pytest.mark.slow
@needs_chromium
def test_a_pasted_bearer_token_is_sent_in_the_authorization_header(browser, server_url):
    _open_docs(browser, server_url)
    scheme = "document.querySelector('fieldset[data-scheme=\"HTTPBearer\"]')"
    browser.evaluate(
        f"{scheme}.querySelector('input').value = 'pasted-token';"
        f"{scheme}.querySelector('button.authorize-scheme').click(); run('whoami_whoami_get'); true"
    )
    result = _result_when_done(browser, "whoami_whoami_get")
    assert json.loads(result["body"]) == {"scheme": "Bearer", "token": "pasted-token"}


@pytest.mark.slow
@needs_chromium
def test_files_chosen_in_a_multipart_form_are_uploaded(browser, server_url):
    _open_docs(browser, server_url)
    operation = "upload_upload_post"
    kinds = browser.evaluate(
        f"[...panel('{operation}').querySelectorAll('.request-body input')]"
        ".map(i => [i.name, i.type, i.multiple])"
    )
    assert kinds == [["files", "file", True], ["note", "text", False]]
    labels = browser.evaluate(
        f"[...panel('{operation}').querySelectorAll('.form-field span')].map(s => s.textContent)"
    )
    assert labels == ["files*", "note"]
    assert browser.evaluate(f"panel('{operation}').querySelector('input[name=note]').value") == "-"
    # A script cannot open the file picker; a DataTransfer stands in for the user's choice.
    browser.evaluate(
        "const chosen = new DataTransfer();"
        "chosen.items.add(new File(['first file'], 'a.txt', {type: 'text/plain'}));"
        "chosen.items.add(new File(['second'], 'b.txt', {type: 'text/plain'}));"
        f"panel('{operation}').querySelector('input[name=files]').files = chosen.files;"
        f"fill('{operation}', 'note', 'two files'); run('{operation}'); true"
    )
    result = _result_when_done(browser, operation)
    assert result["status"].startswith("200")
    assert json.loads(result["body"]) == {
        "files": [["a.txt", "first file"], ["b.txt", "second"]],
        "note": "two files",
    }


@pytest.mark.slow
@needs_chromium
def test_a_document_that_cannot_be_loaded_is_reported_on_the_page(browser, server_url):
    browser.command("Page.enable")
    browser.command("Page.navigate", url=server_url + "/docs-of-nothing")
    status = "(document.getElementById('status')?.textContent || '')"  # null until navigated
    browser.wait_for(f"{status}.startsWith('Could not')", "the failure was not reported")
    assert browser.evaluate(status) == (
        f"Could not load the OpenAPI document from {server_url}/missing.json: 404 Not Found"
    )


# -- a document with tag metadata and a server URL, served by a hand-made ASGI app ----------


def _document_with_servers_and_tags() -> dict:
    from miniasgi.openapi import OperationInfo, ParameterInfo, RequestBodyInfo, build_openapi

    return build_openapi(
        title="Prefixed",
        version="1",
        servers=[{"url": "/{base}/v1", "variables": {"base": {"default": "api"}}}],
        tags=[{"name": "second", "description": "Listed first by the document"}],
        operations=[
            OperationInfo("/echo/{word}", "GET", "echo", tags=["first"],
                          parameters=[ParameterInfo("word", "path", str)]),  # fmt: skip
            OperationInfo("/other", "GET", "other", tags=["second"]),
            OperationInfo("/note", "POST", "note", tags=["second"],
                          request_body=RequestBodyInfo(str, media_type="text/plain", title="Note")),
        ],
    )


async def _raw_asgi_app(scope, receive, send):
    """Serves the page, its assets, the document, and /api/v1/... echoing the request."""
    from miniasgi.openapi import build_openapi

    if scope["type"] != "http":
        return
    path = scope["path"]
    media_type = "application/json"
    if path in ("/docs", "/empty-docs"):
        document_url = "/spec/openapi.json" if path == "/docs" else "/spec/empty.json"
        body = docs_html(openapi_url=document_url, title="P", assets_url="/docs/assets")
        body, media_type = body.encode(), "text/html; charset=utf-8"
    elif path == "/spec/empty.json":
        body = json.dumps(build_openapi(title="Empty", version="0", operations=[])).encode()
    elif path in ("/any-docs", "/spec/any.json"):
        if path == "/any-docs":
            page = docs_html(openapi_url="/spec/any.json", title="P", assets_url="/docs/assets")
            body, media_type = page.encode(), "text/html; charset=utf-8"
        else:
            body = json.dumps(ANY_DOCUMENT["document"]).encode()
    elif path.startswith("/docs/assets/") and docs_asset(path.rsplit("/", 1)[1]):
        body, media_type = docs_asset(path.rsplit("/", 1)[1])
    elif path == "/spec/openapi.json":
        body = json.dumps(_document_with_servers_and_tags()).encode()
    else:
        received = b""
        while True:
            message = await receive()
            received += message.get("body", b"")
            if not message.get("more_body"):
                break
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode()
        body = json.dumps({"path": path, "query": scope["query_string"].decode(),
                           "content_type": content_type, "body": received.decode()}).encode()
    headers = [(b"content-type", media_type.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def raw_server_url():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = _serve_with_uvicorn(_raw_asgi_app, listener)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop()
    listener.close()


@pytest.mark.slow
@needs_chromium
def test_tags_listed_by_the_document_come_first_with_their_descriptions(browser, raw_server_url):
    _open_docs(browser, raw_server_url)
    sections = browser.evaluate(
        "[...document.querySelectorAll('section.tag')].map(s => [s.dataset.tag,"
        " (s.querySelector('p.description') || {}).textContent || ''])"
    )
    assert sections == [["second", "Listed first by the document"], ["first", ""]]


@pytest.mark.slow
@needs_chromium
def test_requests_go_to_the_documents_server_url(browser, raw_server_url):
    _open_docs(browser, raw_server_url)
    browser.evaluate("fill('echo', 'word', 'a/b c'); run('echo'); true")
    result = _result_when_done(browser, "echo")
    assert result["request"] == f"GET {raw_server_url}/api/v1/echo/a%2Fb%20c"
    assert json.loads(result["body"])["path"] == "/api/v1/echo/a/b c"


def test_the_page_files_are_declared_as_package_data_so_an_installed_miniasgi_has_them():
    # Without this, /docs works from a checkout but answers 500 after `pip install`:
    # setuptools ships only .py files unless told otherwise.
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    settings = tomllib.loads((root / "pyproject.toml").read_text())
    package_data = settings.get("tool", {}).get("setuptools", {}).get("package-data", {})
    patterns = package_data.get("miniasgi", []) + package_data.get("*", [])
    static = sorted(path.name for path in (root / "miniasgi" / "static").iterdir())
    missing = [
        name for name in static
        if not any(fnmatch.fnmatch(f"static/{name}", pattern) for pattern in patterns)
    ]  # fmt: skip
    assert missing == [], (
        f"miniasgi/static/{missing} not in [tool.setuptools.package-data]: add "
        'miniasgi = ["static/*"] to pyproject.toml'
    )


@pytest.mark.slow
@needs_chromium
def test_a_cookie_parameter_is_sent_as_a_cookie(browser, server_url):
    _open_docs(browser, server_url)
    browser.evaluate("fill('session_session_get', 'session_id', 'abc-123');"
                     "run('session_session_get'); true")  # fmt: skip
    result = _result_when_done(browser, "session_session_get")
    assert json.loads(result["body"]) == {"session_id": "abc-123"}
    # A value outside RFC 6265's cookie-octets is percent-encoded, so a ";" cannot
    # smuggle in cookie attributes; the server sees the encoded text.
    browser.evaluate("fill('session_session_get', 'session_id', 'a;b c');"
                     "run('session_session_get'); true")  # fmt: skip
    browser.wait_for(
        "(result('session_session_get').body || '').includes('a%3Bb%20c')",
        "the encoded cookie did not arrive",
    )


# -- the page's schema helpers, table-driven (run in the page through miniasgiDocs) ---------

EXAMPLES = [
    ({"type": "integer"}, 0),
    ({"type": "integer", "minimum": 3}, 3),
    ({"type": "integer", "exclusiveMinimum": 0}, 1),
    ({"type": "number", "exclusiveMinimum": 0.5}, 1.5),
    ({"type": "string"}, "string"),
    ({"type": "string", "format": "date-time"}, "2024-01-31T12:00:00Z"),
    ({"type": "string", "examples": ["pen", "ink"]}, "pen"),
    ({"type": "boolean", "default": False}, False),
    ({"enum": ["red", "blue"], "type": "string"}, "red"),
    ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 0),
    ({"type": "array", "items": {"type": "string"}}, ["string"]),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, {}),
    ({"$ref": "#/components/schemas/Item"}, {"name": "string", "price": 0}),
    ({"anyOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]},
     {"name": "string", "price": 0}),
    ({"$ref": "#/components/schemas/Item", "examples": [{"name": "pen"}]}, {"name": "pen"}),
]


@pytest.mark.slow
@needs_chromium
def test_example_values_fit_their_schemas(browser, server_url):
    _open_docs(browser, server_url)
    found = browser.evaluate(
        f"{json.dumps([schema for schema, _ in EXAMPLES])}.map(s => miniasgiDocs.exampleFor(s))"
    )
    assert found == [example for _, example in EXAMPLES]


TYPE_NAMES = [
    ({"type": "integer"}, "integer"),
    ({"type": "string", "format": "uuid"}, "string (uuid)"),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "string | null"),
    ({"type": "array", "items": {"$ref": "#/components/schemas/Item"}}, "array of Item"),
    ({"enum": ["a", 1]}, '"a" | 1'),
    ({"type": "string", "contentMediaType": "application/octet-stream"}, "file"),
    ({}, "any"),
]


@pytest.mark.slow
@needs_chromium
def test_type_names_read_as_a_student_would_say_them(browser, server_url):
    _open_docs(browser, server_url)
    found = browser.evaluate(
        f"{json.dumps([schema for schema, _ in TYPE_NAMES])}.map(s => miniasgiDocs.typeName(s))"
    )
    assert found == [name for _, name in TYPE_NAMES]


@pytest.mark.slow
@needs_chromium
def test_curl_commands_quote_what_the_shell_would_otherwise_read(browser, server_url):
    _open_docs(browser, server_url)
    command = browser.evaluate(
        "miniasgiDocs.curlCommand({url: 'http://127.0.0.1/a?b=1&c=2', init: {method: 'POST',"
        " headers: new Headers({'content-type': 'application/json'}),"
        " body: '{\"name\": \"it\\'s\"}'}})"
    )
    assert command == (
        "curl -X POST 'http://127.0.0.1/a?b=1&c=2' -H 'content-type: application/json'"
        """ --data '{"name": "it'\\''s"}'"""
    )


ITEM_TEXT = "Item {\n  name*: string\n  price*: number\n}"
SCHEMA_TEXTS = [
    ({"$ref": "#/components/schemas/Item"}, ITEM_TEXT),
    ({"anyOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]}, ITEM_TEXT + " | null"),
    ({"type": "array", "items": {"$ref": "#/components/schemas/Item"}}, "array of " + ITEM_TEXT),
    ({"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
     "string  (max length 5) | null"),
    ({"type": "integer", "minimum": 1, "default": 10}, "integer  (≥ 1, default 10)"),
]


@pytest.mark.slow
@needs_chromium
def test_schemas_are_shown_as_indented_text_with_models_expanded(browser, server_url):
    _open_docs(browser, server_url)
    found = browser.evaluate(
        f"{json.dumps([schema for schema, _ in SCHEMA_TEXTS])}.map(s => miniasgiDocs.schemaText(s))"
    )
    assert found == [text for _, text in SCHEMA_TEXTS]


@pytest.mark.slow
@needs_chromium
def test_an_api_without_operations_says_so(browser, raw_server_url):
    browser.command("Page.navigate", url=raw_server_url + "/empty-docs")
    status = "(document.getElementById('status')?.textContent || '')"
    browser.wait_for(f"{status}.startsWith('This API')", "the empty document was not reported")
    assert browser.evaluate(status) == "This API has no operations yet: add a route and reload."
    assert browser.evaluate("document.getElementById('authorize-button').hidden") is True


@pytest.mark.slow
@needs_chromium
def test_a_body_of_another_media_type_is_sent_as_typed(browser, raw_server_url):
    _open_docs(browser, raw_server_url)
    browser.evaluate(
        "panel('note').querySelector('textarea').value = 'not {json} at all';"
        "run('note'); true"
    )
    result = _result_when_done(browser, "note")
    echoed = json.loads(result["body"])
    assert echoed["body"] == "not {json} at all"
    assert echoed["content_type"] == "text/plain"
    assert echoed["path"] == "/api/v1/note"


@pytest.mark.slow
@needs_chromium
def test_the_filter_shows_only_matching_operations_and_their_groups(browser, server_url):
    _open_docs(browser, server_url)
    visible = (
        "[...document.querySelectorAll('details.operation')].filter(d => !d.hidden)"
        ".map(d => d.dataset.operationId)"
    )
    sections = "[...document.querySelectorAll('section.tag')].filter(s => !s.hidden).length"
    browser.evaluate(
        "const box = document.getElementById('filter'); box.value = 'ITEMS';"
        "box.dispatchEvent(new Event('input')); true"
    )
    assert browser.evaluate(visible) == [
        "read_item_items__item_id__get", "create_item_items__post"
    ]  # fmt: skip
    assert browser.evaluate(sections) == 1
    browser.evaluate(
        "const again = document.getElementById('filter'); again.value = '';"
        "again.dispatchEvent(new Event('input')); true"
    )
    every = browser.evaluate("document.querySelectorAll('details.operation').length")
    assert len(browser.evaluate(visible)) == every == 9


# -- the law: any valid document renders, one panel per operation, no error -----------------

ANY_DOCUMENT: dict = {"document": {}}  # what /spec/any.json answers, set by the test

SCHEMA_LEAVES = st.sampled_from([
    {"type": "integer"}, {"type": "number", "exclusiveMinimum": 0}, {"type": "string"},
    {"type": "string", "format": "date-time"}, {"type": "boolean"}, {},
    {"type": "string", "enum": ["a", "b"]}, {"$ref": "#/components/schemas/Leaf"},
    {"type": "string", "contentMediaType": "application/octet-stream"},
])  # fmt: skip
SCHEMAS = st.recursive(
    SCHEMA_LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda items: {"type": "array", "items": items}, inner),
        st.builds(lambda member: {"anyOf": [member, {"type": "null"}]}, inner),
        st.builds(lambda values: {"type": "object", "additionalProperties": values}, inner),
        st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), inner, max_size=3).map(
            lambda properties: {"type": "object", "properties": properties,
                                "required": sorted(properties)[:1]}),  # fmt: skip
    ),
    max_leaves=6,
)


@st.composite
def any_documents(draw):
    paths = {}
    for index in range(draw(st.integers(1, 4))):
        operation = {"operationId": f"op{index}", "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": draw(SCHEMAS)}}}
        }}  # fmt: skip
        parameters = [
            {"name": f"p{number}", "in": draw(st.sampled_from(["query", "header"])),
             "required": draw(st.booleans()), "schema": draw(SCHEMAS)}
            for number in range(draw(st.integers(0, 2)))
        ]  # fmt: skip
        if parameters:
            operation["parameters"] = parameters
        if draw(st.booleans()):
            media_type = draw(st.sampled_from(
                ["application/json", "multipart/form-data", "text/plain"]))  # fmt: skip
            operation["requestBody"] = {"content": {media_type: {"schema": draw(SCHEMAS)}}}
        if draw(st.booleans()):
            operation["tags"] = [draw(st.sampled_from(["a", "b"]))]
        paths[f"/r{index}"] = {draw(st.sampled_from(["get", "post", "put"])): operation}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Any", "version": "1"},
        "paths": paths,
        "components": {"schemas": {"Leaf": {"type": "object", "properties": {
            "x": {"type": "integer"}}}}},
    }  # fmt: skip


@pytest.mark.slow
@needs_chromium
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=any_documents())
def test_any_valid_document_renders_one_panel_per_operation(browser, raw_server_url, document):
    from openapi_spec_validator import validate

    validate(document)
    ANY_DOCUMENT["document"] = document
    browser.command("Page.navigate", url="about:blank")
    browser.command("Page.navigate", url=raw_server_url + "/any-docs")
    status = "(document.getElementById('status')?.textContent ?? 'loading')"
    browser.wait_for(f"{status} === '' || {status}.startsWith('Could not')", "nothing rendered")
    assert browser.evaluate(status) == ""  # a rendering error would be reported here
    panels = browser.evaluate(
        "[...document.querySelectorAll('details.operation')].map(d => d.dataset.operationId)"
    )
    assert sorted(panels) == sorted(f"op{index}" for index in range(len(document["paths"])))
    bodies = browser.evaluate(
        "[...document.querySelectorAll('textarea.body-text')].map(t => t.value)"
    )
    for text in bodies:
        if text:
            json.loads(text)  # every prefilled JSON example is JSON
