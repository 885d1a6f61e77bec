"""The whole "Sign in with ..." flow over real sockets, and each way it must fail.

The local OpenID provider runs on Uvicorn and the relying-party app on minihttp,
each on its own 127.0.0.1 port in a thread; httpx plays the browser, following
every redirect by hand and keeping cookies, as a browser would. The provider's
hooks play a broken or malicious provider; the assertions check that the app
refuses with a reason a person can act on, and that no session is started.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx
import jwt as pyjwt
import pytest
import uvicorn

from miniasgi import App, Depends
from miniauth.jwk import base64url_decode, base64url_encode
from miniauth.oidc import OIDCSettings, RelyingParty, http_with_urllib
from miniauth.oidc_provider import ClientRegistration, LocalProvider
from miniauth.oidc_tokens import LoginError
from minihttp.config import Config
from minihttp.main import Server, loop_factory
from tests.miniauth.test_oidc_tokens import rsa_jwk

pytestmark = pytest.mark.slow

CLIENT_SECRET = "s3cret: with % and +"
COOKIE_SECRET = b"c" * 32


def _wait_until(condition, failure: str) -> None:
    deadline = time.monotonic() + 30  # a bound on waiting to start, not a timing assertion
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.01)


@contextmanager
def served_by_minihttp(app, listener: socket.socket, loop: str = "mini") -> Iterator[None]:
    config = Config(app=app, loop=loop, lifespan="off", access_log=False, log_level="warning",
                    proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    ready, control = threading.Event(), {}

    async def serve() -> None:
        control["loop"] = asyncio.get_running_loop()
        control["stop"] = control["loop"].create_future()
        server = Server(config)
        await server.start(listener)
        ready.set()
        await control["stop"]
        await server.stop()

    def run() -> None:
        with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
            runner.run(serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    _wait_until(ready.is_set, "minihttp did not start")
    try:
        yield
    finally:
        control["loop"].call_soon_threadsafe(control["stop"].set_result, None)
        thread.join(10)


@contextmanager
def served_by_uvicorn(app, listener: socket.socket) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    _wait_until(lambda: server.started, "uvicorn did not start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def listening_socket() -> tuple[socket.socket, str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


@dataclass
class Flow:
    provider: LocalProvider
    relying_party: RelyingParty
    provider_url: str
    app_url: str


def relying_party_app(relying_party: RelyingParty) -> App:
    app = App()
    app.include_router(relying_party.router())

    @app.get("/me")
    async def me(user: dict = Depends(relying_party.current_user)) -> dict:
        return user

    return app


@pytest.fixture
def flow(request: pytest.FixtureRequest) -> Iterator[Flow]:
    options = getattr(request, "param", {})
    provider_listener, provider_url = listening_socket()
    app_listener, app_url = listening_socket()
    provider = LocalProvider(provider_url, [ClientRegistration(
        "the-app", CLIENT_SECRET, (app_url + "/auth/callback",
                                   "https://app.example/auth/callback"))])
    relying_party = RelyingParty(OIDCSettings(
        issuer=options.get("issuer", provider_url), client_id="the-app",
        client_secret=options.get("client_secret", CLIENT_SECRET), cookie_secret=COOKIE_SECRET,
        client_authentication=options.get("client_authentication"), http_timeout=10))
    with served_by_uvicorn(provider.app, provider_listener), \
            served_by_minihttp(relying_party_app(relying_party), app_listener):
        yield Flow(provider, relying_party, provider_url, app_url)
    provider_listener.close()
    app_listener.close()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        yield client


def go_to_provider(browser: httpx.Client, flow: Flow, **headers: str) -> httpx.Response:
    """Click "Sign in": the app's redirect to the provider, with the login cookie."""
    response = browser.get(flow.app_url + "/auth/login", params={"next": "/me"}, headers=headers)
    assert response.status_code == 302, response.text
    return response


def callback_url(browser: httpx.Client, flow: Flow) -> str:
    """Log in at the provider (it approves at once); where it sends the browser back."""
    to_provider = go_to_provider(browser, flow)
    at_provider = browser.get(to_provider.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    return at_provider.headers["location"]


def refusal(response: httpx.Response) -> str:
    return response.json()["detail"]


# -- the happy path ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flow", [{"client_authentication": "client_secret_basic"},
             {"client_authentication": "client_secret_post"}],
    indirect=True, ids=["client_secret_basic", "client_secret_post"])
def test_a_user_signs_in_is_recognised_and_signs_out(flow: Flow, browser: httpx.Client) -> None:
    assert browser.get(flow.app_url + "/me").status_code == 401

    to_provider = go_to_provider(browser, flow)
    authorization = urlsplit(to_provider.headers["location"])
    assert f"{authorization.scheme}://{authorization.netloc}" == flow.provider_url
    sent = parse_qs(authorization.query)
    assert sent["redirect_uri"] == [flow.app_url + "/auth/callback"]
    assert sent["code_challenge_method"] == ["S256"]
    login_cookie = to_provider.headers["set-cookie"]
    assert login_cookie.startswith("oidc_login=")
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/auth", "Max-Age=600"):
        assert attribute in login_cookie
    assert "Secure" not in login_cookie  # plain http on 127.0.0.1

    back = browser.get(browser.get(to_provider.headers["location"]).headers["location"])
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/me"
    session_cookies = back.headers.get_list("set-cookie")
    assert any(cookie.startswith("oidc_login=;") and "Max-Age=0" in cookie
               for cookie in session_cookies)
    assert any(cookie.startswith("oidc_session=") and "HttpOnly" in cookie
               for cookie in session_cookies)

    me = browser.get(flow.app_url + "/me")
    assert me.status_code == 200
    assert me.json() == {"sub": "1001", "email": "alice@example.com", "email_verified": True,
                         "name": "Alice Example", "iss": flow.provider_url}

    signed_out = browser.post(flow.app_url + "/auth/logout")
    assert signed_out.status_code == 303
    assert browser.get(flow.app_url + "/me").status_code == 401


def test_both_sides_on_minihttp_work_on_every_loop(loop_name: str, browser) -> None:
    provider_listener, provider_url = listening_socket()
    app_listener, app_url = listening_socket()
    provider = LocalProvider(provider_url, [ClientRegistration(
        "the-app", CLIENT_SECRET, (app_url + "/auth/callback",))])
    relying_party = RelyingParty(OIDCSettings(provider_url, "the-app", CLIENT_SECRET,
                                              COOKIE_SECRET))
    with served_by_minihttp(provider.app, provider_listener, loop_name), \
            served_by_minihttp(relying_party_app(relying_party), app_listener, loop_name):
        flow = Flow(provider, relying_party, provider_url, app_url)
        assert browser.get(callback_url(browser, flow)).status_code == 303
        assert browser.get(app_url + "/me").json()["email"] == "alice@example.com"
    provider_listener.close()
    app_listener.close()


def test_the_id_token_of_the_flow_verifies_with_pyjwt_against_the_published_keys(
    flow: Flow, browser: httpx.Client
) -> None:
    seen = []
    original = flow.relying_party._validated_claims
    flow.relying_party._validated_claims = lambda tokens, nonce: (
        seen.append(tokens["id_token"]) or original(tokens, nonce))
    assert browser.get(callback_url(browser, flow)).status_code == 303
    keys = pyjwt.PyJWKClient(flow.provider_url + "/jwks")
    claims = pyjwt.decode(seen[0], keys.get_signing_key_from_jwt(seen[0]), ["RS256"],
                          audience="the-app", issuer=flow.provider_url)
    assert claims["sub"] == "1001"


def test_behind_a_tls_proxy_the_redirect_uri_is_https_and_cookies_are_secure(
    flow: Flow, browser: httpx.Client
) -> None:
    proxy = {"X-Forwarded-Proto": "https", "Host": "app.example"}  # as nginx would send them
    to_provider = go_to_provider(browser, flow, **proxy)
    sent = parse_qs(urlsplit(to_provider.headers["location"]).query)
    assert sent["redirect_uri"] == ["https://app.example/auth/callback"]
    assert "Secure" in to_provider.headers["set-cookie"]
    # the proxy's way back: https://app.example/... arrives here as http with the same headers
    back_at = browser.get(to_provider.headers["location"]).headers["location"]
    assert back_at.startswith("https://app.example/auth/callback?code=")
    login_cookie = to_provider.headers["set-cookie"].split(";")[0]
    callback = httpx.get(flow.app_url + back_at.removeprefix("https://app.example"),
                         headers={**proxy, "Cookie": login_cookie})
    assert callback.status_code == 303, callback.text
    session = [cookie for cookie in callback.headers.get_list("set-cookie")
               if cookie.startswith("oidc_session=ey")]
    assert len(session) == 1 and "Secure" in session[0] and "HttpOnly" in session[0]


# -- refused: the callback does not belong to this browser's login -----------------------------


def test_a_forged_state_is_refused(flow: Flow, browser: httpx.Client) -> None:
    url = callback_url(browser, flow)
    forged = url.replace("state=", "state=forged")
    response = browser.get(forged)
    assert response.status_code == 400
    assert "state does not match any login this browser started" in refusal(response)
    assert browser.get(flow.app_url + "/me").status_code == 401


def test_a_missing_state_is_refused(flow: Flow, browser: httpx.Client) -> None:
    url = callback_url(browser, flow)
    code = parse_qs(urlsplit(url).query)["code"][0]
    response = browser.get(flow.app_url + "/auth/callback", params={"code": code})
    assert response.status_code == 400
    assert "no state parameter" in refusal(response)


def test_a_callback_without_the_login_cookie_is_refused(flow: Flow, browser: httpx.Client) -> None:
    url = callback_url(browser, flow)
    response = httpx.get(url)  # another browser: the attacker's link opened by a victim
    assert response.status_code == 400
    assert "no login cookie came with the callback" in refusal(response)


def test_a_tampered_login_cookie_is_refused(flow: Flow, browser: httpx.Client) -> None:
    url = callback_url(browser, flow)
    sealed = browser.cookies["oidc_login"]
    header, payload, signature = sealed.split(".")
    claims = json.loads(base64url_decode(payload))
    edited = base64url_encode(json.dumps({**claims, "next": "/admin"}).encode())
    tampered = f"{header}.{edited}.{signature}"
    response = httpx.get(url, headers={"Cookie": f"oidc_login={tampered}"})
    assert response.status_code == 400
    assert "login cookie cannot be trusted: signature verification failed" in refusal(response)


def test_a_replayed_code_is_refused_by_the_provider(flow: Flow, browser: httpx.Client) -> None:
    url = callback_url(browser, flow)
    sealed = browser.cookies["oidc_login"]
    assert browser.get(url).status_code == 303
    replay = httpx.get(url, headers={"Cookie": f"oidc_login={sealed}"})
    assert replay.status_code == 401
    assert refusal(replay) == ("login failed: the provider refused the code: invalid_grant "
                               "(the authorization code was already used)")


def test_an_intercepted_code_is_useless_without_the_pkce_verifier(flow: Flow,
                                                                  browser: httpx.Client) -> None:
    url = callback_url(browser, flow)
    stolen_code = parse_qs(urlsplit(url).query)["code"][0]
    # the thief even knows the client secret (form-encoded for Basic, RFC 6749 §2.3.1),
    # but not this login's code_verifier
    secret = quote_plus(CLIENT_SECRET, safe="")
    theft = httpx.post(flow.provider_url + "/token", auth=("the-app", secret), data={
        "grant_type": "authorization_code", "code": stolen_code,
        "redirect_uri": flow.app_url + "/auth/callback", "code_verifier": "x" * 43})
    assert theft.status_code == 400
    assert theft.json()["error"] == "invalid_grant"
    assert "code_verifier does not match the code_challenge" in theft.json()["error_description"]
    assert "id_token" not in theft.json()
    # the failed attempt burned the code: the genuine callback is refused too
    response = browser.get(url)
    assert response.status_code == 401
    assert "the authorization code was already used" in refusal(response)


def test_a_denied_login_is_reported(flow: Flow, browser: httpx.Client) -> None:
    flow.provider.auto_approve = False
    to_provider = go_to_provider(browser, flow)
    form = parse_qs(urlsplit(to_provider.headers["location"]).query)
    denied = browser.post(flow.provider_url + "/authorize",
                          data={**{name: values[0] for name, values in form.items()},
                                "decision": "deny"})
    response = browser.get(denied.headers["location"])
    assert response.status_code == 401
    assert "the provider answered access_denied: the user said no" in refusal(response)


# -- refused: the provider's id_token ------------------------------------------------------------


@pytest.mark.parametrize(
    "rewrite, reason",
    [
        (lambda claims: {**claims, "nonce": "from-another-login"},
         "nonce does not match the one this login sent"),
        (lambda claims: {**claims, "aud": "another-app", "azp": "another-app"},
         "token is meant for 'another-app', not for ['the-app']"),
        (lambda claims: {**claims, "iss": "https://evil.example"},
         "token was issued by 'https://evil.example'"),
    ],
    ids=["wrong-nonce", "wrong-audience", "wrong-issuer"],
)
def test_an_id_token_with_a_wrong_claim_is_refused(flow, browser, rewrite, reason) -> None:
    flow.provider.rewrite_id_token_claims = rewrite
    response = browser.get(callback_url(browser, flow))
    assert response.status_code == 401
    assert reason in refusal(response)
    assert browser.get(flow.app_url + "/me").status_code == 401


def test_an_expired_id_token_is_refused(flow: Flow, browser: httpx.Client) -> None:
    flow.provider.clock = lambda: time.time() - 7200  # the provider signs a two-hour-old token
    response = browser.get(callback_url(browser, flow))
    assert response.status_code == 401
    assert "the id_token was refused: token expired at" in refusal(response)


def test_an_id_token_signed_by_another_key_under_the_published_kid_is_refused(
    flow: Flow, browser: httpx.Client
) -> None:
    flow.provider.id_token_signing_key = {**rsa_jwk("intruder"),
                                          "kid": flow.provider.signing_key["kid"]}
    response = browser.get(callback_url(browser, flow))
    assert response.status_code == 401
    assert "signature verification failed" in refusal(response)


def test_an_id_token_naming_an_unpublished_key_is_refused(flow: Flow, browser: httpx.Client) -> None:
    flow.provider.id_token_signing_key = rsa_jwk("intruder")
    response = browser.get(callback_url(browser, flow))
    assert response.status_code == 401
    assert "no key with kid 'intruder'" in refusal(response)


# -- refused: the configuration ----------------------------------------------------------------


@pytest.mark.parametrize("flow", [{"client_secret": "wrong"}], indirect=True)
def test_a_wrong_client_secret_is_reported(flow: Flow, browser: httpx.Client) -> None:
    response = browser.get(callback_url(browser, flow))
    assert response.status_code == 401
    assert "invalid_client" in refusal(response)


def test_a_provider_whose_configuration_names_another_issuer_is_refused(browser) -> None:
    provider_listener, provider_url = listening_socket()
    app_listener, app_url = listening_socket()
    provider = LocalProvider(provider_url, [ClientRegistration("a", "b", ())])
    spelled_otherwise = provider_url.replace("127.0.0.1", "localhost")
    relying_party = RelyingParty(OIDCSettings(spelled_otherwise, "a", "b", COOKIE_SECRET))
    with served_by_uvicorn(provider.app, provider_listener), \
            served_by_minihttp(relying_party_app(relying_party), app_listener):
        response = browser.get(app_url + "/auth/login")
    assert response.status_code == 502
    assert f"names issuer '{provider_url}', not '{spelled_otherwise}'" in refusal(response)
    provider_listener.close()
    app_listener.close()


def test_an_unreachable_provider_is_reported_as_503(browser: httpx.Client) -> None:
    closed_listener, closed_url = listening_socket()
    closed_listener.close()  # nothing listens there now
    app_listener, app_url = listening_socket()
    relying_party = RelyingParty(OIDCSettings(closed_url, "a", "b", COOKIE_SECRET))
    with served_by_minihttp(relying_party_app(relying_party), app_listener):
        response = browser.get(app_url + "/auth/login")
    assert response.status_code == 503
    assert "the provider could not be reached" in refusal(response)
    app_listener.close()


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"cut",
     b"HTTP/1.1 400 Bad Request\r\nContent-Length: 100\r\n\r\n{\"error",
     b"", b"not http at all\r\n\r\n"],
    ids=["cut-short", "error-cut-short", "hung-up", "not-http"])
def test_a_provider_that_breaks_the_connection_is_reported_as_503(answer: bytes) -> None:
    listener, url = listening_socket()

    def answer_once() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(answer)

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    with pytest.raises(LoginError, match="the provider could not be reached") as caught:
        http_with_urllib("GET", url + "/jwks", {}, None, 10)
    assert caught.value.status == 503
    thread.join(10)
    listener.close()
