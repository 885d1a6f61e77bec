"""miniauth.oidc_provider: the local OpenID provider keeps the rules a real one keeps.

Driven in-process through miniasgi's TestClient on a fake clock; its id_tokens
are checked with PyJWT as the oracle. Grouped by the spec section of each rule.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import pytest

from miniasgi.testclient import TestClient
from miniauth.jwk import public_jwk
from miniauth.oidc_provider import ClientRegistration, LocalProvider
from miniauth.oidc_tokens import access_token_hash, code_challenge, new_random_value
from tests.miniauth.test_oidc_tokens import rsa_jwk

ISSUER = "http://testserver"
REDIRECT_URI = "http://app.test/auth/callback"
CLIENT = ClientRegistration("app", "s3cret: %", (REDIRECT_URI,))
OTHER_CLIENT = ClientRegistration("other", "other-secret", ("http://other.test/cb",))
USERS = ({"sub": "1001", "email": "alice@example.com", "name": "Alice"},
         {"sub": "1002", "email": "bob@example.com", "name": "Bob"})


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def provider(clock: FakeClock) -> LocalProvider:
    # a fast C-made key: this file tests the protocol, not key generation
    return LocalProvider(ISSUER, [CLIENT, OTHER_CLIENT], USERS, signing_key=rsa_jwk("provider"),
                         clock=clock)


@pytest.fixture
def client(provider: LocalProvider) -> TestClient:
    return TestClient(provider.app, follow_redirects=False)


def authorization_parameters(**changes) -> dict:
    parameters = {
        "response_type": "code", "client_id": "app", "redirect_uri": REDIRECT_URI,
        "scope": "openid email", "state": "st", "nonce": "no",
        "code_challenge": code_challenge("v" * 43), "code_challenge_method": "S256",
    }
    parameters.update(changes)
    return {name: value for name, value in parameters.items() if value is not None}


def query_of(response) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(
        response.headers["location"]).query).items()}


def get_code(client: TestClient, **changes) -> str:
    response = client.get("/authorize", params=authorization_parameters(**changes))
    assert response.status_code == 302, response.text
    return query_of(response)["code"]


def redeem(client: TestClient, code: str, *, verifier: str = "v" * 43, basic: bool = True,
           **changes):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}
    form.update(changes)
    form = {name: value for name, value in form.items() if value is not None}
    if basic:
        return client.post("/token", data=form, auth=("app", "s3cret%3A+%25"))
    return client.post("/token", data={**form, "client_id": "app", "client_secret": "s3cret: %"})


# -- Discovery 1.0 §3 and the key set (RFC 7517 §5) -------------------------------------------


def test_the_configuration_names_the_issuer_and_every_endpoint(client: TestClient) -> None:
    document = client.get("/.well-known/openid-configuration").json()
    assert document["issuer"] == ISSUER
    assert document["token_endpoint"] == ISSUER + "/token"
    assert document["jwks_uri"] == ISSUER + "/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post"}


def test_the_key_set_publishes_only_the_public_half(client: TestClient) -> None:
    keys = client.get("/jwks").json()["keys"]
    assert keys == [public_jwk(rsa_jwk("provider"))]
    assert "d" not in keys[0] and keys[0]["kid"]


# -- RFC 6749 §4.1.1/§4.1.2, Core §3.1.2: /authorize -------------------------------------------


def test_an_approved_request_redirects_with_a_code_and_the_state(client: TestClient) -> None:
    response = client.get("/authorize", params=authorization_parameters())
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT_URI + "?code=")
    assert query_of(response)["state"] == "st"


@pytest.mark.parametrize(
    "changes, complaint",
    [({"redirect_uri": "http://evil.test/cb"}, "is not registered for this client"),
     ({"redirect_uri": REDIRECT_URI + "/"}, "must match exactly"),
     ({"redirect_uri": None}, "is not registered"),
     ({"client_id": "nobody"}, "unknown client_id")],
)
def test_an_unverified_redirect_uri_is_never_redirected_to(client, changes, complaint) -> None:
    response = client.get("/authorize", params=authorization_parameters(**changes))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert complaint in response.text


@pytest.mark.parametrize(
    "changes, error, description",
    [({"code_challenge": None}, "invalid_request", "PKCE is required"),
     ({"code_challenge_method": "plain"}, "invalid_request", "must be S256"),
     ({"code_challenge_method": None}, "invalid_request", "must be S256"),
     ({"scope": "email"}, "invalid_scope", "must include openid"),
     ({"response_type": "token"}, "unsupported_response_type", "response_type=code")],
)
def test_a_bad_request_is_sent_back_to_the_client_as_an_error(client, changes, error,
                                                                description) -> None:
    response = client.get("/authorize", params=authorization_parameters(**changes))
    assert response.status_code == 302
    answer = query_of(response)
    assert (answer["error"], answer["state"]) == (error, "st")
    assert description in answer["error_description"]
    assert "code" not in answer


def test_without_auto_approval_the_user_picks_an_account_or_denies(provider, client) -> None:
    provider.auto_approve = False
    page = client.get("/authorize", params=authorization_parameters())
    assert page.status_code == 200
    assert "Sign in as alice@example.com" in page.text and "Sign in as bob@example.com" in page.text
    hidden = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
    approved = client.post("/authorize", data={**hidden, "decision": "approve", "sub": "1002"})
    tokens = redeem(client, query_of(approved)["code"]).json()
    claims = pyjwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["email"] == "bob@example.com"
    denied = client.post("/authorize", data={**hidden, "decision": "deny"})
    assert query_of(denied) == {"error": "access_denied", "error_description": "the user said no",
                                "state": "st"}


# -- RFC 6749 §4.1.3, RFC 7636 §4.6, Core §3.1.3: /token ---------------------------------------


@pytest.mark.parametrize("basic", [True, False], ids=["client_secret_basic", "client_secret_post"])
def test_a_code_buys_an_id_token_that_pyjwt_verifies(client: TestClient, clock, basic) -> None:
    response = redeem(client, get_code(client), basic=basic)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    header = pyjwt.get_unverified_header(tokens["id_token"])
    assert (header["alg"], header["kid"]) == ("RS256", rsa_jwk("provider")["kid"])
    claims = pyjwt.decode(tokens["id_token"], pyjwt.PyJWK(public_jwk(rsa_jwk("provider"))),
                          ["RS256"], audience="app", issuer=ISSUER,
                          options={"verify_exp": False, "verify_iat": False})
    assert claims["sub"] == "1001" and claims["nonce"] == "no" and claims["azp"] == "app"
    assert claims["iat"] == int(clock.now) and claims["exp"] == int(clock.now) + 3600
    assert claims["at_hash"] == access_token_hash(tokens["access_token"])


def test_the_access_token_opens_userinfo(client: TestClient) -> None:
    tokens = redeem(client, get_code(client)).json()
    answer = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.json()["email"] == "alice@example.com"
    refused = client.get("/userinfo", headers={"Authorization": "Bearer nonsense"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_wrong_pkce_verifier_is_refused(client: TestClient) -> None:
    response = redeem(client, get_code(client), verifier="w" * 43)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "code_verifier does not match" in response.json()["error_description"]


def test_a_missing_pkce_verifier_is_refused(client: TestClient) -> None:
    response = redeem(client, get_code(client), verifier=None)
    assert response.json()["error"] == "invalid_grant"


def test_a_code_works_once_and_its_replay_revokes_the_access_token(client: TestClient) -> None:
    code = get_code(client)
    first = redeem(client, code).json()
    replay = redeem(client, code)
    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_grant",
                             "error_description": "the authorization code was already used"}
    revoked = client.get("/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert revoked.status_code == 401


def test_a_code_expires_after_its_lifetime(client: TestClient, clock: FakeClock) -> None:
    code = get_code(client)
    clock.now += 61
    assert redeem(client, code).json()["error_description"] == "the authorization code expired"


@pytest.mark.parametrize(
    "changes, description",
    [({"code": "made-up"}, "unknown authorization code"),
     ({"redirect_uri": "http://app.test/other"}, "redirect_uri differs"),
     ({"grant_type": "password"}, "only grant_type=authorization_code")],
)
def test_a_token_request_that_does_not_fit_the_code_is_refused(client, changes,
                                                                 description) -> None:
    code = get_code(client)
    response = redeem(client, changes.pop("code", code), **changes)
    assert response.status_code == 400
    assert description in response.json()["error_description"]


def test_a_code_issued_to_one_client_does_not_work_for_another(client: TestClient) -> None:
    code = get_code(client)
    response = client.post("/token", auth=("other", "other-secret"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": "v" * 43})
    assert response.json()["error_description"] == "the code was issued to another client"


@pytest.mark.parametrize(
    "authorization, form",
    [(("app", "wrong"), {}), (("nobody", "x"), {}), (None, {"client_id": "app"}),
     (None, {"client_id": "app", "client_secret": "wrong"}), (None, {})],
    ids=["wrong-secret", "unknown-client", "no-secret", "wrong-post-secret", "nothing"],
)
def test_a_client_that_does_not_authenticate_gets_401(client, authorization, form) -> None:
    response = client.post("/token", auth=authorization, data={
        "grant_type": "authorization_code", "code": get_code(client),
        "redirect_uri": REDIRECT_URI, "code_verifier": "v" * 43, **form})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_two_client_authentication_methods_at_once_are_refused(client: TestClient) -> None:
    response = client.post("/token", auth=("app", "s3cret%3A+%25"), data={
        "grant_type": "authorization_code", "code": get_code(client),
        "redirect_uri": REDIRECT_URI, "code_verifier": "v" * 43, "client_secret": "s3cret: %"})
    assert response.json()["error"] == "invalid_request"


def test_malformed_basic_credentials_are_refused(client: TestClient) -> None:
    for credentials in ("%%%", base64.b64encode(b"no-colon").decode()):
        response = client.post("/token", headers={"Authorization": f"Basic {credentials}"},
                               data={"grant_type": "authorization_code", "code": "x"})
        assert response.status_code == 401


# -- the hooks that let a test play a misbehaving provider -------------------------------------


def test_the_claims_hook_and_the_signing_key_hook_change_the_next_id_token(provider,
                                                                              client) -> None:
    provider.rewrite_id_token_claims = lambda claims: {**claims, "nonce": "forged"}
    provider.id_token_signing_key = rsa_jwk("intruder")
    token = redeem(client, get_code(client)).json()["id_token"]
    assert pyjwt.get_unverified_header(token)["kid"] == "intruder"
    claims = pyjwt.decode(token, pyjwt.PyJWK(public_jwk(rsa_jwk("intruder"))), ["RS256"],
                          audience="app", options={"verify_exp": False, "verify_iat": False})
    assert claims["nonce"] == "forged"


def test_a_provider_needs_a_user() -> None:
    with pytest.raises(ValueError, match="at least one user"):
        LocalProvider(ISSUER, [CLIENT], users=[], signing_key=rsa_jwk("provider"))


def test_random_codes_are_not_reused(client: TestClient) -> None:
    codes = {get_code(client, state=new_random_value()) for _ in range(5)}
    assert len(codes) == 5
