"""miniauth.security and miniauth.rbac through miniasgi's TestClient: the OAuth2 password flow,
bad tokens and bad Authorization headers, scopes, roles, the other schemes, and OpenAPI.

FastAPI is the oracle for the OpenAPI security schemes. Expiry runs on a fake clock.
"""

from __future__ import annotations

import json

import pytest
from fastapi import Depends as FastAPIDepends
from fastapi import FastAPI
from fastapi import security as fastapi_security

from miniasgi import App, Depends, Form, HTTPException, Security
from miniasgi.testclient import TestClient
from miniauth import jwk, jwt
from miniauth.errors import InvalidTokenError
from miniauth.passwords import hash_password, verify_password
from miniauth.rbac import RoleBasedAccess, Roles
from miniauth.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPBasic,
    HTTPBearer,
    OAuth2AuthorizationCodeBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
    OpenIdConnect,
    bearer_claims,
)
from miniauth.tokens import TokenIssuer

SECRET = b"a test secret that is long enough even for HS512 signatures: 64 b"
ISSUER, AUDIENCE = "https://api.example", "api"
FAST = {"n": 2**10, "r": 8, "p": 1}
USERS = {
    "alice": {"hash": hash_password("wonderland", **FAST), "roles": ["editor"]},
    "bob": {"hash": hash_password("builder", **FAST), "roles": ["viewer"]},
    "root": {"hash": hash_password("toor", **FAST), "roles": ["admin"]},
}
ROLES = Roles(
    {"viewer": ["items:read"], "editor": ["items:write"], "admin": ["*"]},
    inherits={"editor": ["viewer"]},
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def build_app(clock: FakeClock) -> tuple[App, TokenIssuer]:
    tokens = TokenIssuer(SECRET, issuer=ISSUER, audience=AUDIENCE, access_ttl=600, clock=clock)
    oauth2 = OAuth2PasswordBearer(
        tokenUrl="/token", scopes={"items:read": "Read items", "items:write": "Change items"}
    )
    current_user = bearer_claims(tokens.verify_access_token, oauth2)
    access = RoleBasedAccess(ROLES, current_user=current_user)
    app = App()

    @app.post("/token")
    def login(form: OAuth2PasswordRequestForm = Depends()):
        user = USERS.get(form.username)
        if user is None or not verify_password(form.password, user["hash"]):
            raise HTTPException(
                401, "Incorrect username or password", headers={"WWW-Authenticate": "Bearer"}
            )
        pair = tokens.issue(form.username, scopes=form.scopes, claims={"roles": user["roles"]})
        return pair.as_response()

    @app.post("/token/refresh")
    def refresh(refresh_token: str = Form()):
        # RFC 6749 §6 puts this at the token endpoint with grant_type=refresh_token
        try:
            return tokens.refresh(refresh_token).as_response()
        except InvalidTokenError as error:
            raise HTTPException(401, str(error)) from None

    @app.post("/token/strict")
    def strict_login(form: OAuth2PasswordRequestFormStrict = Depends()):
        return {"grant_type": form.grant_type, "scopes": form.scopes}

    @app.get("/me")
    def me(claims: dict = Depends(current_user)):
        return {"sub": claims["sub"], "roles": claims["roles"]}

    @app.get("/items")
    def read_items(claims: dict = Security(current_user, scopes=["items:read"])):
        return ["hammer"]

    @app.post("/items")
    def write_item(user: dict = Depends(access.requires("items:write"))):
        return {"by": user["sub"]}

    @app.put("/items")
    def replace_items(
        user: dict = Security(access.requires("items:write"), scopes=["items:write"]),
    ):
        return {"replaced_by": user["sub"]}

    @app.delete("/items")
    def delete_items(user: dict = Depends(access.requires("items:delete"))):
        return {"deleted": True}

    @app.get("/admin")
    def admin(user: dict = Depends(access.requires_role("admin"))):
        return {"admin": user["sub"]}

    @app.post("/logout")
    def logout(token: str = Depends(oauth2)):
        tokens.revoke(token, everywhere=True)
        return {"ok": True}

    return app, tokens


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock):
    app, _ = build_app(clock)
    with TestClient(app) as test_client:
        yield test_client


def login(client, username: str, password: str, scope: str = "") -> dict:
    response = client.post(
        "/token", data={"username": username, "password": password, "scope": scope}
    )
    assert response.status_code == 200, response.text
    return response.json()


def compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- RFC 6749 §4.3: the password grant ------------------------------------------------------------


class TestPasswordFlow:
    def test_login_returns_an_oauth2_token_response(self, client) -> None:
        body = login(client, "alice", "wonderland", "items:read")
        assert body["token_type"] == "bearer" and body["expires_in"] == 600
        assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}

    def test_the_access_token_opens_protected_routes(self, client) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        response = client.get("/me", headers=bearer(token))
        assert response.json() == {"sub": "alice", "roles": ["editor"]}

    def test_a_wrong_password_is_refused_with_401(self, client) -> None:
        response = client.post("/token", data={"username": "alice", "password": "nope"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_the_form_requires_username_and_password(self, client) -> None:
        response = client.post("/token", data={"username": "alice"})
        assert response.status_code == 422
        assert any(error["loc"][-1] == "password" for error in response.json()["detail"])

    def test_the_form_refuses_a_grant_type_other_than_password(self, client) -> None:
        response = client.post(
            "/token", data={"username": "a", "password": "b", "grant_type": "client_credentials"}
        )
        assert response.status_code == 422

    def test_the_strict_form_requires_grant_type(self, client) -> None:
        form = {"username": "a", "password": "b", "scope": "x  y"}
        assert client.post("/token/strict", data=form).status_code == 422
        response = client.post("/token/strict", data={**form, "grant_type": "password"})
        assert response.json() == {"grant_type": "password", "scopes": ["x", "y"]}

    def test_a_refresh_token_buys_a_new_pair_once(self, client, clock) -> None:
        first = login(client, "alice", "wonderland")
        clock.now += 601  # the access token has expired
        assert client.get("/me", headers=bearer(first["access_token"])).status_code == 401
        second = client.post("/token/refresh", data={"refresh_token": first["refresh_token"]})
        assert second.status_code == 200
        assert client.get("/me", headers=bearer(second.json()["access_token"])).status_code == 200
        replay = client.post("/token/refresh", data={"refresh_token": first["refresh_token"]})
        assert replay.status_code == 401
        # reuse detected: the pair bought with the stolen copy is revoked too
        assert client.get("/me", headers=bearer(second.json()["access_token"])).status_code == 401

    def test_logout_revokes_the_session(self, client) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        assert client.post("/logout", headers=bearer(token)).json() == {"ok": True}
        response = client.get("/me", headers=bearer(token))
        assert response.status_code == 401
        assert "logged out" in response.json()["detail"]


# -- RFC 6750 §2.1 and §3: malformed Authorization headers ---------------------------------------


class TestAuthorizationHeader:
    @pytest.mark.parametrize(
        "header, detail",
        [
            (None, "Not authenticated"),
            ("", "Not authenticated"),
            ("TOKEN", "'token' scheme"),
            ("Basic dXNlcjpwdw==", "'basic' scheme"),
            ("Bearer", "no token"),
            ("Bearer    ", "no token"),
            ("Bearer two tokens", "malformed"),
            ("Bearer a,b", "malformed"),
            ("Bearer tok\u00e9n".encode(), "malformed"),  # UTF-8 bytes on the wire
        ],
    )
    def test_a_missing_or_malformed_header_is_401_with_a_bearer_challenge(
        self, client, header, detail: str
    ) -> None:
        headers = {} if header is None else {"Authorization": header}
        response = client.get("/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert detail in response.json()["detail"]

    @pytest.mark.parametrize("template", ["bearer {}", "BEARER {}", "Bearer   {}", " Bearer {} "])
    def test_the_scheme_is_case_insensitive_and_spaces_between_are_allowed(
        self, client, template: str
    ) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        response = client.get("/me", headers={"Authorization": template.format(token)})
        assert response.status_code == 200

    def test_the_challenge_names_the_scopes_a_route_needs(self, client) -> None:
        response = client.get("/items")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer scope="items:read"'


# -- bad tokens: each refused with 401 invalid_token and the reason --------------------------------


class TestBadTokens:
    def assert_invalid_token(self, client, token: str, reason: str) -> None:
        response = client.get("/me", headers=bearer(token))
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert reason in response.json()["detail"]

    def test_an_expired_token(self, client, clock) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        clock.now += 601
        self.assert_invalid_token(client, token, "expired")

    def test_a_token_not_yet_valid(self, client, clock) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        clock.now -= 3600  # the server's clock now says the token was issued in the future
        self.assert_invalid_token(client, token, "issued in the future")

    def test_a_tampered_token(self, client) -> None:
        token = login(client, "bob", "builder")["access_token"]
        header, payload, signature = token.split(".")
        claims = jwt.decode(token, options={"verify_signature": False})
        forged = jwk.base64url_encode(compact_json({**claims, "roles": ["admin"]}).encode())
        self.assert_invalid_token(client, f"{header}.{forged}.{signature}", "signature")

    def test_a_truncated_token(self, client) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        self.assert_invalid_token(client, token.rsplit(".", 1)[0], "three base64url segments")

    def test_a_token_signed_with_another_key(self, client, clock) -> None:
        stranger = TokenIssuer(b"x" * 40, issuer=ISSUER, audience=AUDIENCE, clock=clock)
        self.assert_invalid_token(client, stranger.issue("alice").access_token, "signature")

    def test_a_token_for_another_audience(self, client, clock) -> None:
        other = TokenIssuer(SECRET, issuer=ISSUER, audience="billing", clock=clock)
        self.assert_invalid_token(client, other.issue("alice").access_token, "billing")

    def test_a_token_from_another_issuer(self, client, clock) -> None:
        other = TokenIssuer(SECRET, issuer="https://evil.example", audience=AUDIENCE, clock=clock)
        self.assert_invalid_token(client, other.issue("alice").access_token, "evil.example")

    def test_a_token_with_alg_none(self, client) -> None:
        token = login(client, "bob", "builder")["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwk.base64url_encode(b'{"alg":"none","typ":"at+jwt"}')
        payload = jwk.base64url_encode(compact_json(claims).encode())
        self.assert_invalid_token(client, f"{header}.{payload}.", "unsecured")

    def test_a_token_with_a_wrong_alg(self, client, clock) -> None:
        other = TokenIssuer(
            SECRET, issuer=ISSUER, audience=AUDIENCE, algorithm="HS512", clock=clock
        )
        self.assert_invalid_token(client, other.issue("alice").access_token, "'HS512' is not among")

    def test_a_token_missing_a_required_claim(self, client) -> None:
        token = jwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "alice",
                "exp": 2 * 10**9,
                "iat": 1_699_999_999,
            },
            SECRET,
            headers={"typ": "at+jwt"},
        )
        self.assert_invalid_token(client, token, 'missing the "jti" claim')

    def test_a_refresh_token_is_not_an_access_token(self, client) -> None:
        token = login(client, "alice", "wonderland")["refresh_token"]
        self.assert_invalid_token(client, token, "not interchangeable")


def test_the_key_confusion_attack_fails_against_an_rs256_service(clock) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

    numbers = crypto_rsa.generate_private_key(65537, 2048).private_numbers()
    from miniauth.rsa import RsaPrivateKey

    private = jwk.jwk_from_rsa_key(
        RsaPrivateKey(
            numbers.public_numbers.n,
            numbers.public_numbers.e,
            numbers.d,
            numbers.p,
            numbers.q,
            numbers.dmp1,
            numbers.dmq1,
            numbers.iqmp,
        )
    )
    public = jwk.public_jwk(private)
    tokens = TokenIssuer(
        private,
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithm="RS256",
        verification_key=public,
        clock=clock,
    )
    app = App()

    @app.get("/me")
    def me(claims: dict = Depends(bearer_claims(tokens.verify_access_token))):
        return claims["sub"]

    # The attacker signs HS256 with the published public key as the "secret"
    import hashlib
    import hmac

    header = jwk.base64url_encode(b'{"alg":"HS256","typ":"at+jwt"}')
    payload = jwk.base64url_encode(
        compact_json(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "admin",
                "exp": 2 * 10**9,
                "iat": 1,
                "jti": "j",
                "fam": "f",
            }
        ).encode()
    )
    secret = compact_json(public).encode()
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{jwk.base64url_encode(signature)}"
    with TestClient(app) as client:
        response = client.get("/me", headers=bearer(forged))
        assert response.status_code == 401
        assert "'HS256' is not among the allowed algorithms ['RS256']" in response.json()["detail"]
        good = client.get("/me", headers=bearer(tokens.issue("alice").access_token))
        assert good.json() == "alice"


# -- scopes (RFC 6750 §3.1) and roles ------------------------------------------------------------


class TestScopesAndRoles:
    def test_a_token_with_the_scope_reads_items(self, client) -> None:
        token = login(client, "bob", "builder", "items:read")["access_token"]
        assert client.get("/items", headers=bearer(token)).json() == ["hammer"]

    def test_a_token_without_the_scope_gets_403_insufficient_scope(self, client) -> None:
        token = login(client, "bob", "builder")["access_token"]
        response = client.get("/items", headers=bearer(token))
        assert response.status_code == 403
        assert response.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="items:read"'
        )
        assert "['items:read']" in response.json()["detail"]

    def test_a_permission_granted_by_the_role_lets_the_request_through(self, client) -> None:
        token = login(client, "alice", "wonderland")["access_token"]
        assert client.post("/items", headers=bearer(token)).json() == {"by": "alice"}

    def test_a_missing_permission_is_403_naming_it_and_the_roles(self, client) -> None:
        token = login(client, "bob", "builder")["access_token"]
        response = client.post("/items", headers=bearer(token))
        assert response.status_code == 403
        assert response.json()["detail"] == (
            "permission denied: this needs ['items:write'], which your roles ['viewer'] do not grant"
        )

    def test_the_wildcard_role_may_do_anything_and_others_may_not(self, client) -> None:
        root = login(client, "root", "toor")["access_token"]
        alice = login(client, "alice", "wonderland")["access_token"]
        assert client.delete("/items", headers=bearer(root)).status_code == 200
        assert client.delete("/items", headers=bearer(alice)).status_code == 403

    def test_requires_role_checks_the_role_itself(self, client) -> None:
        root = login(client, "root", "toor")["access_token"]
        alice = login(client, "alice", "wonderland")["access_token"]
        assert client.get("/admin", headers=bearer(root)).json() == {"admin": "root"}
        response = client.get("/admin", headers=bearer(alice))
        assert response.status_code == 403
        assert "needs the role admin; you have ['editor']" in response.json()["detail"]

    def test_roles_and_scopes_combine_through_security(self, client) -> None:
        # the scope limits what the token may do; the role, what the user may do
        with_scope = login(client, "alice", "wonderland", "items:write")["access_token"]
        assert client.put("/items", headers=bearer(with_scope)).json() == {"replaced_by": "alice"}
        without_scope = login(client, "alice", "wonderland")["access_token"]
        response = client.put("/items", headers=bearer(without_scope))
        assert (
            response.status_code == 403
            and "insufficient_scope" in (response.headers["www-authenticate"])
        )
        viewer_with_scope = login(client, "bob", "builder", "items:write")["access_token"]
        response = client.put("/items", headers=bearer(viewer_with_scope))
        assert response.status_code == 403
        assert "permission denied" in response.json()["detail"]

    def test_rbac_refuses_unauthenticated_requests_with_401_not_403(self, client) -> None:
        assert client.post("/items").status_code == 401


class TestRoleTable:
    def test_inheritance_is_transitive(self) -> None:
        roles = Roles({"a": ["x"], "b": ["y"], "c": ["z"]}, inherits={"c": ["b"], "b": ["a"]})
        assert roles.permissions_of(["c"]) == {"x", "y", "z"}
        assert roles.missing(["b"], ["x", "z"]) == ["z"]

    def test_a_cycle_is_refused_when_the_table_is_built(self) -> None:
        with pytest.raises(ValueError, match="cycle: a -> b -> a"):
            Roles({"a": [], "b": []}, inherits={"a": ["b"], "b": ["a"]})

    def test_an_unknown_role_in_inherits_is_refused(self) -> None:
        with pytest.raises(ValueError, match="'ghost'"):
            Roles({"a": []}, inherits={"a": ["ghost"]})

    def test_unknown_roles_grant_nothing(self) -> None:
        assert ROLES.permissions_of(["nobody"]) == frozenset()

    def test_requires_needs_a_permission_and_requires_role_a_known_role(self) -> None:
        access = RoleBasedAccess(ROLES, current_user=lambda: {})
        with pytest.raises(ValueError, match="at least one permission"):
            access.requires()
        with pytest.raises(ValueError, match="superuser"):
            access.requires_role("superuser")


# -- the other schemes -----------------------------------------------------------------------------


@pytest.fixture
def schemes_client():
    app = App()
    basic, optional_basic = HTTPBasic(realm="api"), HTTPBasic(auto_error=False)
    http_bearer = HTTPBearer(bearerFormat="JWT")
    header_key, query_key, cookie_key = (
        APIKeyHeader(name="X-API-Key"),
        APIKeyQuery(name="api_key"),
        APIKeyCookie(name="session"),
    )
    optional_key = APIKeyHeader(name="X-API-Key", auto_error=False)
    code_flow = OAuth2AuthorizationCodeBearer("https://idp/authorize", "https://idp/token")
    openid = OpenIdConnect(openIdConnectUrl="https://idp/.well-known/openid-configuration")

    @app.get("/code")
    def read_code(token: str = Depends(code_flow)):
        return token

    @app.get("/openid")
    def read_openid(token: str = Depends(openid)):
        return token

    @app.get("/basic")
    def read_basic(credentials=Depends(basic)):
        return {"username": credentials.username, "password": credentials.password}

    @app.get("/basic/optional")
    def read_optional_basic(credentials=Depends(optional_basic)):
        return credentials is None

    @app.get("/bearer")
    def read_bearer(credentials=Depends(http_bearer)):
        return {"scheme": credentials.scheme, "credentials": credentials.credentials}

    @app.get("/header")
    def read_header(key: str = Depends(header_key)):
        return key

    @app.get("/query")
    def read_query(key: str = Depends(query_key)):
        return key

    @app.get("/cookie")
    def read_cookie(key: str = Depends(cookie_key)):
        return key

    @app.get("/optional")
    def read_optional(key=Depends(optional_key)):
        return {"key": key}

    with TestClient(app) as client:
        yield client


class TestOtherSchemes:
    def test_http_basic_decodes_user_and_password(self, schemes_client) -> None:
        response = schemes_client.get("/basic", auth=("zoë", "pass:word"))
        assert response.json() == {"username": "zoë", "password": "pass:word"}

    @pytest.mark.parametrize(
        "header, detail",
        [
            (None, "Not authenticated"),
            ("Bearer abc", "'bearer' scheme"),
            ("Basic !!!", "base64"),
            ("Basic dXNlcg==", "lack the ':'"),
            ("Basic //79", "UTF-8"),
        ],
    )
    def test_http_basic_answers_401_with_its_realm(self, schemes_client, header, detail) -> None:
        headers = {} if header is None else {"Authorization": header}
        response = schemes_client.get("/basic", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="api"'
        assert detail in response.json()["detail"]

    def test_auto_error_false_gives_none_instead_of_401(self, schemes_client) -> None:
        assert schemes_client.get("/basic/optional").json() is True
        assert schemes_client.get("/optional").json() == {"key": None}
        assert schemes_client.get("/optional", headers={"X-API-Key": "k"}).json() == {"key": "k"}

    def test_http_bearer_returns_scheme_and_credentials(self, schemes_client) -> None:
        response = schemes_client.get("/bearer", headers={"Authorization": "bearer abc.def"})
        assert response.json() == {"scheme": "Bearer", "credentials": "abc.def"}
        missing = schemes_client.get("/bearer")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize("path", ["/code", "/openid"])
    def test_the_other_bearer_schemes_return_the_token_or_answer_401(
        self, schemes_client, path: str
    ) -> None:
        response = schemes_client.get(path, headers={"Authorization": "Bearer abc"})
        assert response.json() == "abc"
        for headers in ({}, {"Authorization": "Whatever"}):
            refused = schemes_client.get(path, headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "path, request_options",
        [
            ("/header", {"headers": {"X-API-Key": "secret-key"}}),
            ("/query", {"params": {"api_key": "secret-key"}}),
            ("/cookie", {"headers": {"Cookie": "session=secret-key"}}),
        ],
    )
    def test_api_keys_are_found_where_declared(self, schemes_client, path, request_options) -> None:
        assert schemes_client.get(path, **request_options).json() == "secret-key"
        missing = schemes_client.get(path)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "APIKey"


# -- OpenAPI: the schemes appear as FastAPI's do -----------------------------------------------------


def test_security_schemes_in_openapi_match_fastapis(clock) -> None:
    ours, theirs = App(), FastAPI()
    pairs = [
        (
            OAuth2PasswordBearer(tokenUrl="/token", scopes={"items:read": "Read"}),
            fastapi_security.OAuth2PasswordBearer(tokenUrl="/token", scopes={"items:read": "Read"}),
        ),
        (
            OAuth2PasswordBearer(
                tokenUrl="/token", refreshUrl="/refresh", scheme_name="Refreshing"
            ),
            fastapi_security.OAuth2PasswordBearer(
                tokenUrl="/token", refreshUrl="/refresh", scheme_name="Refreshing"
            ),
        ),
        (
            OAuth2AuthorizationCodeBearer(
                "https://idp.example/authorize",
                "https://idp.example/token",
                "https://idp.example/refresh",
                scopes={"openid": "OpenID"},
            ),
            fastapi_security.OAuth2AuthorizationCodeBearer(
                "https://idp.example/authorize",
                "https://idp.example/token",
                "https://idp.example/refresh",
                scopes={"openid": "OpenID"},
            ),
        ),
        (
            OpenIdConnect(openIdConnectUrl="https://idp.example/.well-known/openid-configuration"),
            fastapi_security.OpenIdConnect(
                openIdConnectUrl="https://idp.example/.well-known/openid-configuration"
            ),
        ),
        (HTTPBasic(description="staff only"), fastapi_security.HTTPBasic(description="staff only")),
        (HTTPBearer(bearerFormat="JWT"), fastapi_security.HTTPBearer(bearerFormat="JWT")),
        (APIKeyHeader(name="X-Key"), fastapi_security.APIKeyHeader(name="X-Key")),
        (APIKeyQuery(name="key"), fastapi_security.APIKeyQuery(name="key")),
        (APIKeyCookie(name="sid"), fastapi_security.APIKeyCookie(name="sid")),
    ]
    for index, (our_scheme, their_scheme) in enumerate(pairs):

        def our_endpoint(credential=Depends(our_scheme)):
            return None

        def their_endpoint(credential=FastAPIDepends(their_scheme)):
            return None

        ours.get(f"/route{index}")(our_endpoint)
        theirs.get(f"/route{index}")(their_endpoint)
    our_schemes = ours.openapi()["components"]["securitySchemes"]
    their_schemes = theirs.openapi()["components"]["securitySchemes"]
    assert our_schemes == their_schemes
    for index in range(len(pairs)):
        path = f"/route{index}"
        assert (
            ours.openapi()["paths"][path]["get"]["security"]
            == (theirs.openapi()["paths"][path]["get"]["security"])
        )


def test_routes_list_the_scopes_they_need_in_openapi(clock) -> None:
    app, _ = build_app(clock)
    document = app.openapi()
    assert document["paths"]["/items"]["get"]["security"] == [
        {"OAuth2PasswordBearer": ["items:read"]}
    ]
    assert document["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert document["paths"]["/items"]["put"]["security"] == [
        {"OAuth2PasswordBearer": ["items:write"]}
    ]
    flow = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] == "/token"


def test_the_openapi_document_with_every_scheme_is_valid_openapi(clock) -> None:
    from openapi_spec_validator import validate

    app, _ = build_app(clock)
    for index, scheme in enumerate(
        [
            HTTPBasic(realm="r"),
            HTTPBearer(bearerFormat="JWT"),
            APIKeyHeader(name="X-Key"),
            APIKeyQuery(name="key"),
            APIKeyCookie(name="sid"),
            OAuth2AuthorizationCodeBearer("https://idp/authorize", "https://idp/token"),
            OpenIdConnect(openIdConnectUrl="https://idp/.well-known/openid-configuration"),
        ]
    ):

        def endpoint(credential=Depends(scheme)):
            return None

        app.get(f"/scheme{index}")(endpoint)
    document = app.openapi()
    assert len(document["components"]["securitySchemes"]) == 8  # the 7 above and OAuth2
    validate(document)
