"""miniauth.oidc: the relying party's own rules, in-process on a fake clock.

The app runs under miniasgi's TestClient and talks to the local provider
through an `http` function that calls the provider's app in-process, so time
is a parameter: cookies and sessions expire, and the key set is refetched,
without sleeping. (test_oidc_flow.py runs the same flow over real sockets.)
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from miniasgi import App, Depends, JSONResponse, Request
from miniasgi.testclient import TestClient
from miniauth.oidc import OIDCSettings, RelyingParty
from miniauth.oidc_provider import ClientRegistration, LocalProvider
from miniauth.oidc_tokens import LoginError
from tests.miniauth.test_oidc_provider import FakeClock
from tests.miniauth.test_oidc_tokens import rsa_jwk

PROVIDER = "https://provider.test"
APP = "http://app.test"


class Network:
    """Routes the relying party's HTTP calls to the provider's app, and counts them."""

    def __init__(self, provider: LocalProvider) -> None:
        self.client = TestClient(provider.app, base_url=PROVIDER, follow_redirects=False)
        self.calls: list[tuple[str, str]] = []
        self.broken_paths: dict[str, tuple[int, bytes]] = {}

    def __call__(self, method, url, headers, body, timeout):
        path = urlsplit(url).path
        self.calls.append((method, path))
        if path in self.broken_paths:
            return self.broken_paths[path]
        response = self.client.request(method, url, headers=dict(headers), content=body)
        return response.status_code, response.content


class Setup:
    def __init__(self, **settings) -> None:
        self.clock = FakeClock()
        self.provider = LocalProvider(
            PROVIDER, [ClientRegistration("app", "secret", (APP + "/auth/callback",))],
            signing_key=rsa_jwk("provider"), clock=self.clock)
        self.network = Network(self.provider)
        self.logins: list[dict] = []
        self.relying_party = RelyingParty(
            OIDCSettings(PROVIDER, "app", "secret", b"c" * 32, **settings),
            http=self.network, clock=self.clock,
            on_login=lambda request, claims, response: self.logins.append(claims))
        app = App()
        app.include_router(self.relying_party.router())

        @app.get("/me")
        def me(user: dict = Depends(self.relying_party.current_user)) -> dict:
            return user

        self.browser = TestClient(app, base_url=APP, follow_redirects=False)

    def callback_url(self, next_path: str = "/me") -> str:
        to_provider = self.browser.get("/auth/login", params={"next": next_path})
        assert to_provider.status_code == 302, to_provider.text
        at_provider = self.network.client.get(to_provider.headers["location"])
        return at_provider.headers["location"]

    def log_in(self, next_path: str = "/me"):
        return self.browser.get(self.callback_url(next_path))


@pytest.fixture
def setup() -> Setup:
    return Setup()


def test_a_login_starts_a_session_and_calls_on_login(setup: Setup) -> None:
    back = setup.log_in()
    assert (back.status_code, back.headers["location"]) == (303, "/me")
    assert setup.browser.get("/me").json()["email"] == "alice@example.com"
    assert [claims["sub"] for claims in setup.logins] == ["1001"]


def test_the_provider_is_discovered_once_and_its_keys_fetched_once(setup: Setup) -> None:
    setup.log_in()
    setup.log_in()
    assert setup.network.calls.count(("GET", "/.well-known/openid-configuration")) == 1
    assert setup.network.calls.count(("GET", "/jwks")) == 1
    assert setup.network.calls.count(("POST", "/token")) == 2


def test_a_pinned_redirect_uri_is_sent_whatever_the_request_says() -> None:
    setup = Setup(redirect_uri="https://app.example/auth/callback")
    location = setup.browser.get("/auth/login").headers["location"]
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [
        "https://app.example/auth/callback"]


def test_after_login_the_user_returns_only_to_a_path_of_this_site(setup: Setup) -> None:
    assert setup.log_in(next_path="https://evil.example/").headers["location"] == "/"
    assert setup.log_in(next_path="//evil.example/").headers["location"] == "/"


# -- time: the login cookie, the session, the id_token -----------------------------------------


def test_a_login_finished_after_the_cookie_expired_is_refused(setup: Setup) -> None:
    url = setup.callback_url()
    setup.clock.now += 601
    response = setup.browser.get(url)
    assert response.status_code == 400
    assert "the login cookie cannot be trusted: token expired at" in response.json()["detail"]


def test_the_session_ends_after_its_max_age(setup: Setup) -> None:
    setup.log_in()
    setup.clock.now += 8 * 3600
    refused = setup.browser.get("/me")
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("the session cookie cannot be trusted: token expired")


def test_a_stale_id_token_is_refused_even_before_it_expires(setup: Setup) -> None:
    setup.provider.clock = lambda: setup.clock.now - 1200
    response = setup.log_in()
    assert response.status_code == 401
    assert "the id_token was issued 1200 s ago" in response.json()["detail"]


# -- cookies are not interchangeable -------------------------------------------------------------


def test_a_login_cookie_is_no_session_cookie(setup: Setup) -> None:
    setup.browser.get("/auth/login")
    login_cookie = setup.browser.cookies["oidc_login"]
    setup.browser.cookies.set("oidc_session", login_cookie)
    refused = setup.browser.get("/me")
    assert refused.status_code == 401
    assert "meant for 'oidc-login'" in refused.json()["detail"]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [
        (b"cookie", f"oidc_session={login_cookie}".encode())]})
    assert setup.relying_party.user(request) is None


# -- several tabs: logins started side by side ---------------------------------------------------


def test_logins_started_in_two_tabs_both_finish(setup: Setup) -> None:
    first_tab, second_tab = setup.callback_url("/first"), setup.callback_url("/second")
    first = setup.browser.get(first_tab)
    assert (first.status_code, first.headers["location"]) == (303, "/first")
    assert "oidc_login=ey" in first.headers["set-cookie"]  # the second login is still pending
    second = setup.browser.get(second_tab)
    assert (second.status_code, second.headers["location"]) == (303, "/second")
    assert any(cookie.startswith("oidc_login=;") for cookie in second.headers.get_list(
        "set-cookie"))  # nothing pending any more: the cookie is deleted


def test_a_fourth_login_pushes_out_the_oldest(setup: Setup) -> None:
    oldest = setup.callback_url()
    newer = [setup.callback_url() for _ in range(3)]
    refused = setup.browser.get(oldest)
    assert refused.status_code == 400
    assert "pushed out by 3 newer ones" in refused.json()["detail"]
    assert setup.browser.get(newer[0]).status_code == 303


def test_each_pending_login_keeps_its_own_time_limit(setup: Setup) -> None:
    setup.provider.code_lifetime = 3600  # only the app's limits are under test here
    early = setup.callback_url()
    setup.clock.now += 500
    late = setup.callback_url()
    setup.clock.now += 150  # the early login is 650 s old, the late one 150 s
    refused = setup.browser.get(early)
    assert refused.status_code == 400
    assert "took longer than its time limit" in refused.json()["detail"]
    assert setup.browser.get(late).status_code == 303


def test_a_bad_login_cookie_is_replaced_when_a_login_starts(setup: Setup) -> None:
    setup.browser.cookies.set("oidc_login", "not.a.token", domain="app.test", path="/auth")
    assert setup.log_in().status_code == 303


# -- key rotation through the JWKS cache ------------------------------------------------------


def test_a_rotated_key_is_fetched_when_a_token_names_it(setup: Setup) -> None:
    setup.log_in()
    setup.provider.signing_key = rsa_jwk("rotated")  # published at /jwks from now on
    setup.clock.now += 31  # past the key-set client's minimum interval between fetches
    assert setup.log_in().status_code == 303
    assert setup.network.calls.count(("GET", "/jwks")) == 2


def test_an_unknown_kid_right_after_a_fetch_does_not_fetch_again(setup: Setup) -> None:
    setup.log_in()
    setup.provider.signing_key = rsa_jwk("rotated")
    response = setup.log_in()
    assert response.status_code == 401
    assert "no key with kid 'rotated'" in response.json()["detail"]
    assert setup.network.calls.count(("GET", "/jwks")) == 1


# -- a provider that answers badly ----------------------------------------------------------


@pytest.mark.parametrize(
    "path, answer, status, reason",
    [("/.well-known/openid-configuration", (404, b"not here"), 502, "answered 404"),
     ("/.well-known/openid-configuration", (200, b"<html>"), 502, "did not answer JSON"),
     ("/jwks", (500, b""), 503, "keys could not be fetched"),
     ("/token", (200, b'{"access_token":"a","token_type":"Bearer"}'), 502, "no id_token")],
)
def test_a_broken_provider_answer_is_reported(setup: Setup, path, answer, status, reason) -> None:
    setup.network.broken_paths[path] = answer
    if path == "/.well-known/openid-configuration":
        response = setup.browser.get("/auth/login")
    else:
        response = setup.log_in()
    assert response.status_code == status
    assert reason in response.json()["detail"]


def test_a_provider_without_pkce_s256_is_reported_not_crashed_on(setup: Setup) -> None:
    document = setup.network.client.get("/.well-known/openid-configuration").json()
    document["code_challenge_methods_supported"] = ["plain"]
    setup.network.broken_paths["/.well-known/openid-configuration"] = (
        200, json.dumps(document).encode())
    response = setup.browser.get("/auth/login")
    assert response.status_code == 502
    assert "not S256" in response.json()["detail"]


def test_an_issuer_that_is_not_https_is_never_asked() -> None:
    setup = Setup()
    relying_party = RelyingParty(OIDCSettings("http://id.example", "app", "secret", b"c" * 32),
                                 http=setup.network)
    app = App()
    app.include_router(relying_party.router())
    response = TestClient(app).get("/auth/login", follow_redirects=False)
    assert response.status_code == 502
    assert "issuer 'http://id.example' is not https" in response.json()["detail"]
    assert setup.network.calls == []


def test_an_at_hash_that_does_not_fit_the_access_token_is_refused(setup: Setup) -> None:
    setup.provider.rewrite_id_token_claims = lambda claims: {**claims, "at_hash": "AAAA"}
    response = setup.log_in()
    assert response.status_code == 401
    assert "at_hash does not match" in response.json()["detail"]


def test_a_callback_with_neither_code_nor_error_is_refused(setup: Setup) -> None:
    url = setup.callback_url()
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = setup.browser.get("/auth/callback", params={"state": state})
    assert response.status_code == 400
    assert "neither a code nor an error" in response.json()["detail"]


def test_on_failure_renders_the_refusal_its_own_way() -> None:
    setup = Setup()
    setup.relying_party._on_failure = lambda request, error: JSONResponse(
        {"sorry": error.reason}, status_code=418)
    response = setup.browser.get("/auth/callback?state=x&code=y")
    assert response.status_code == 418
    assert "no login cookie" in response.json()["sorry"]


# -- configuration mistakes are caught at start-up --------------------------------------------


def test_a_short_cookie_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="cookie_secret has 5 bytes; use at least 32"):
        RelyingParty(OIDCSettings(PROVIDER, "app", "secret", "short"))


def test_an_unknown_client_authentication_is_refused() -> None:
    with pytest.raises(ValueError, match="'private_key_jwt' is not supported"):
        RelyingParty(OIDCSettings(PROVIDER, "app", "secret", b"c" * 32,
                                  client_authentication="private_key_jwt"))


def test_scopes_without_openid_are_refused() -> None:
    with pytest.raises(ValueError, match="lack 'openid'"):
        RelyingParty(OIDCSettings(PROVIDER, "app", "secret", b"c" * 32, scopes=("email",)))


def test_login_error_carries_its_status() -> None:
    error = LoginError("why", 502)
    assert (str(error), error.reason, error.status) == ("why", "why", 502)


# -- shaped like Google: its discovery document, its endpoints, its two issuer spellings -------

# The fields a relying party reads from https://accounts.google.com/.well-known/openid-configuration
# (Google's "OpenID Connect" guide, "The Discovery document").
GOOGLE_DISCOVERY = {
    "issuer": "https://accounts.google.com",
    "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
    "token_endpoint": "https://oauth2.googleapis.com/token",
    "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
    "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
    "response_types_supported": ["code", "token", "id_token", "code token", "code id_token",
                                 "token id_token", "code token id_token", "none"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"],
    "scopes_supported": ["openid", "email", "profile"],
    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    "code_challenge_methods_supported": ["plain", "S256"],
    "grant_types_supported": ["authorization_code", "refresh_token",
                              "urn:ietf:params:oauth:grant-type:device_code",
                              "urn:ietf:params:oauth:grant-type:jwt-bearer"],
}
GOOGLE_PATHS = {  # Google's endpoints, played by the local provider's
    "https://oauth2.googleapis.com/token": "/token",
    "https://www.googleapis.com/oauth2/v3/certs": "/jwks",
    "https://accounts.google.com/o/oauth2/v2/auth": "/authorize",
}


@pytest.mark.parametrize("spelling", ["https://accounts.google.com", "accounts.google.com"])
def test_a_google_shaped_login_accepts_both_issuer_spellings(spelling: str) -> None:
    clock = FakeClock()
    provider = LocalProvider(
        "https://accounts.google.com",
        [ClientRegistration("id.apps.googleusercontent.com", "secret", (APP + "/auth/callback",))],
        signing_key=rsa_jwk("google"), clock=clock)
    provider.rewrite_id_token_claims = lambda claims: {**claims, "iss": spelling}
    to_provider = TestClient(provider.app, base_url="https://accounts.google.com",
                             follow_redirects=False)
    sent = []

    def google(method, url, headers, body, timeout):
        sent.append((method, url, dict(headers)))
        if url == "https://accounts.google.com/.well-known/openid-configuration":
            return 200, json.dumps(GOOGLE_DISCOVERY).encode()
        answer = to_provider.request(method, GOOGLE_PATHS[url], headers=dict(headers),
                                     content=body)
        return answer.status_code, answer.content

    relying_party = RelyingParty(
        OIDCSettings("https://accounts.google.com", "id.apps.googleusercontent.com", "secret",
                     b"c" * 32, authorization_parameters={"prompt": "select_account"}),
        http=google, clock=clock)
    app = App()
    app.include_router(relying_party.router())
    app.get("/me")(lambda user=Depends(relying_party.current_user): user)
    browser = TestClient(app, base_url=APP, follow_redirects=False)

    location = browser.get("/auth/login").headers["location"]
    endpoint, _, query = location.partition("?")
    assert endpoint == "https://accounts.google.com/o/oauth2/v2/auth"
    assert parse_qs(query)["prompt"] == ["select_account"]
    assert parse_qs(query)["code_challenge_method"] == ["S256"]
    back = to_provider.get(GOOGLE_PATHS[endpoint] + "?" + query).headers["location"]
    assert browser.get(back).status_code == 303
    assert browser.get("/me").json()["iss"] == spelling
    token_call = [headers for method, url, headers in sent if method == "POST"]
    assert token_call[0]["Authorization"].startswith("Basic ")  # client_secret_basic preferred
