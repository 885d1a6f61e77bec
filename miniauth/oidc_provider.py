"""A small OpenID provider, built with miniasgi: "Sign in with Google" without Google.

Tests and the offline example need something to sign in *with*. This is the
smallest provider that speaks the same protocol as Google's, so the relying
party (miniauth.oidc) cannot tell the difference:

    GET  /.well-known/openid-configuration   where everything is (Discovery 1.0 §4)
    GET  /authorize      checks the client and redirect URI, then signs in a test
                         user: at once (auto_approve) or after a tiny form
    POST /authorize      the form's answer: approve as a user, or deny
    POST /token          code + PKCE verifier + client secret -> id_token and access token
    GET  /jwks           the public key that verifies the id_tokens (RFC 7517 §5)
    GET  /userinfo       the user's claims, for an access token (Core §5.3)

The rules it keeps are the ones a real provider keeps, because the relying
party's tests are only as good as the provider it talks to:

- A redirect URI must be registered for the client, exactly; until it is
  checked, errors are shown to the user, never sent to the URI (RFC 6749
  §4.1.2.1), or the provider would be an open redirector.
- PKCE is required, and only S256 (RFC 7636 §4.2); /token recomputes the
  challenge from the verifier (§4.6).
- A code lives ``code_lifetime`` seconds and works once (RFC 6749 §4.1.2);
  a second use is refused and revokes the access token the first use issued.
  It must come back with the same client and redirect URI it was issued for.
- The client authenticates with client_secret_basic or client_secret_post,
  never both at once (RFC 6749 §2.3.1).
- id_tokens are RS256 JWTs with kid, iss, sub, aud, azp, exp, iat, auth_time,
  nonce, at_hash, email and name (Core §2, §3.1.3.6); the token response is
  marked Cache-Control: no-store (RFC 6749 §5.1).

Two attributes let a test play a broken or malicious provider, to prove the
relying party refuses what it must: ``rewrite_id_token_claims`` changes the
claims just before signing (wrong nonce, audience, issuer...), and
``id_token_signing_key`` signs with another private key than the published one.

The signing key is a 2048-bit RSA key (JWT requires 2048, RFC 7518 §3.3) made
by miniauth.rsa in pure Python: about a second of CPU, so one key is made per
process and shared (``default_signing_key``). State lives in memory: this is a
test provider, not a product.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import html
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from miniasgi.app import App
from miniasgi.requests import Request
from miniasgi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from miniauth import jwt, rsa
from miniauth.jwk import jwk_from_rsa_key, public_jwk, thumbprint
from miniauth.oidc_tokens import access_token_hash, code_verifier_matches, new_random_value
from miniauth.security import split_authorization

DEFAULT_USER = {
    "sub": "1001",
    "email": "alice@example.com",
    "email_verified": True,
    "name": "Alice Example",
}


@functools.cache
def default_signing_key() -> dict[str, Any]:
    """A private RSA JWK made once per process, with kid (its RFC 7638 thumbprint) and alg."""
    jwk = jwk_from_rsa_key(rsa.generate_private_key(2048), alg="RS256", use="sig")
    return {**jwk, "kid": thumbprint(jwk)}


@dataclass(frozen=True)
class ClientRegistration:
    """A relying party the provider knows: what a developer console gives you."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class IssuedCode:
    """What /authorize remembers for /token: who approved what, for which client."""

    client_id: str
    redirect_uri: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str
    issued_at: float
    used: bool = False
    access_token: str | None = None


class AuthorizationRequestError(Exception):
    """/authorize refuses; ``redirect`` says whether the error may go back to the client."""

    def __init__(self, error: str, description: str, *, redirect: bool) -> None:
        super().__init__(description)
        self.error, self.description, self.redirect = error, description, redirect


class TokenRequestError(Exception):
    """/token refuses with an RFC 6749 §5.2 error code; invalid_client answers 401."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description

    def response(self) -> Response:
        status = 401 if self.error == "invalid_client" else 400
        headers = {"WWW-Authenticate": 'Basic realm="token"'} if status == 401 else None
        return JSONResponse({"error": self.error, "error_description": self.description},
                            status_code=status, headers=headers)


class LocalProvider:
    """An OpenID provider at ``issuer`` (its own base URL) for the given clients and users."""

    def __init__(
        self,
        issuer: str,
        clients: Iterable[ClientRegistration],
        users: Sequence[Mapping[str, Any]] = (DEFAULT_USER,),
        *,
        auto_approve: bool = True,
        signing_key: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        id_token_lifetime: int = 3600,
        code_lifetime: int = 60,
    ) -> None:
        if not users:
            raise ValueError("a provider needs at least one user to sign in")
        self.issuer = issuer.rstrip("/")
        self.clients = {client.client_id: client for client in clients}
        self.users = [dict(user) for user in users]
        self.auto_approve = auto_approve
        self.signing_key = dict(signing_key or default_signing_key())
        self.clock = clock
        self.id_token_lifetime = id_token_lifetime
        self.code_lifetime = code_lifetime
        self.codes: dict[str, IssuedCode] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        # hooks for tests that need a misbehaving provider (see the module docstring)
        self.rewrite_id_token_claims: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.id_token_signing_key: Mapping[str, Any] | None = None
        self.app = self._build_app()

    def _build_app(self) -> App:
        app = App(title="miniauth local OpenID provider", openapi_url=None)
        app.add_api_route("/.well-known/openid-configuration", self.configuration,
                          methods=["GET"])
        app.add_api_route("/authorize", self.authorize, methods=["GET"])
        app.add_api_route("/authorize", self.decide, methods=["POST"])
        app.add_api_route("/token", self.token, methods=["POST"])
        app.add_api_route("/jwks", self.key_set, methods=["GET"])
        app.add_api_route("/userinfo", self.userinfo, methods=["GET"])
        return app

    # -- discovery and keys ----------------------------------------------------------------------

    async def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "name"],
        }

    async def key_set(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.signing_key)]}

    # -- /authorize (RFC 6749 §4.1.1, Core §3.1.2) ---------------------------------------------

    async def authorize(self, request: Request) -> Response:
        parameters = dict(request.query_params.items())
        try:
            self._check_authorization_request(parameters)
        except AuthorizationRequestError as error:
            return self._authorization_error(parameters, error)
        if self.auto_approve:
            return self._approve(parameters, self.users[0])
        return HTMLResponse(self._consent_page(parameters))

    async def decide(self, request: Request) -> Response:
        form = await request.form()
        parameters = {name: form[name] for name in AUTHORIZATION_PARAMETERS if name in form}
        try:
            self._check_authorization_request(parameters)
        except AuthorizationRequestError as error:
            return self._authorization_error(parameters, error)
        chosen = [user for user in self.users if user["sub"] == form.get("sub")]
        if form.get("decision") != "approve" or not chosen:
            denied = AuthorizationRequestError("access_denied", "the user said no", redirect=True)
            return self._authorization_error(parameters, denied)
        return self._approve(parameters, chosen[0])

    def _check_authorization_request(self, parameters: dict[str, str]) -> None:
        client = self.clients.get(parameters.get("client_id", ""))
        if client is None:
            raise AuthorizationRequestError(
                "invalid_request", f"unknown client_id {parameters.get('client_id')!r}",
                redirect=False)
        if parameters.get("redirect_uri") not in client.redirect_uris:
            raise AuthorizationRequestError(
                "invalid_request",
                f"redirect_uri {parameters.get('redirect_uri')!r} is not registered for this "
                f"client (registered: {list(client.redirect_uris)}); it must match exactly",
                redirect=False)
        if parameters.get("response_type") != "code":
            raise AuthorizationRequestError(
                "unsupported_response_type", "only response_type=code is supported",
                redirect=True)
        if "openid" not in parameters.get("scope", "").split():
            raise AuthorizationRequestError(
                "invalid_scope", "the scope must include openid (Core §3.1.2.1)", redirect=True)
        if not parameters.get("code_challenge"):
            raise AuthorizationRequestError(
                "invalid_request", "PKCE is required: send code_challenge (RFC 7636 §4.3)",
                redirect=True)
        if parameters.get("code_challenge_method") != "S256":
            raise AuthorizationRequestError(
                "invalid_request", "code_challenge_method must be S256 (RFC 7636 §4.2)",
                redirect=True)

    def _authorization_error(self, parameters: dict[str, str],
                             error: AuthorizationRequestError) -> Response:
        if not error.redirect:
            page = f"<h1>Sign-in error</h1><p>{html.escape(error.description)}</p>"
            return HTMLResponse(page, status_code=400)
        answer = {"error": error.error, "error_description": error.description}
        if "state" in parameters:
            answer["state"] = parameters["state"]
        return RedirectResponse(_with_query(parameters["redirect_uri"], answer), status_code=302)

    def _approve(self, parameters: dict[str, str], user: dict[str, Any]) -> Response:
        code = new_random_value()
        self.codes[code] = IssuedCode(
            client_id=parameters["client_id"],
            redirect_uri=parameters["redirect_uri"],
            user=user,
            nonce=parameters.get("nonce"),
            code_challenge=parameters["code_challenge"],
            issued_at=self.clock(),
        )
        answer = {"code": code}
        if "state" in parameters:
            answer["state"] = parameters["state"]
        return RedirectResponse(_with_query(parameters["redirect_uri"], answer), status_code=302)

    def _consent_page(self, parameters: dict[str, str]) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in parameters.items() if name in AUTHORIZATION_PARAMETERS
        )
        buttons = "".join(
            f'<p><button name="sub" value="{html.escape(user["sub"])}">Sign in as '
            f'{html.escape(user.get("email", user["sub"]))}</button></p>'
            for user in self.users
        )
        return (
            "<!doctype html><title>Local OpenID provider</title><h1>Local OpenID provider</h1>"
            f"<p>{html.escape(parameters['client_id'])} asks who you are.</p>"
            f'<form method="post" action="authorize">{hidden}'
            f'<input type="hidden" name="decision" value="approve">{buttons}</form>'
            f'<form method="post" action="authorize">{hidden}'
            '<button name="decision" value="deny">Deny</button></form>'
        )

    # -- /token (RFC 6749 §4.1.3, Core §3.1.3) -------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = await request.form()
        try:
            client = self._authenticated_client(request.headers.get("authorization"), form)
            issued = self._redeem_code(client, form)
        except TokenRequestError as error:
            return error.response()
        access_token = new_random_value()
        issued.access_token = access_token
        self.access_tokens[access_token] = issued.user
        answer = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.id_token_lifetime,
            "scope": "openid email profile",
            "id_token": self.id_token(client.client_id, issued, access_token),
        }
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _authenticated_client(self, authorization: str | None,
                              form: Mapping[str, Any]) -> ClientRegistration:
        scheme, credentials = split_authorization(authorization)
        if scheme == "basic" and "client_secret" in form:
            raise TokenRequestError(
                "invalid_request", "use one client authentication method, not two (RFC 6749 "
                "§2.3.1)")
        if scheme == "basic":
            client_id, client_secret = _basic_credentials(credentials)
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(
            client.client_secret.encode(), str(client_secret).encode()
        ):
            raise TokenRequestError("invalid_client", "unknown client or wrong client secret")
        return client

    def _redeem_code(self, client: ClientRegistration, form: Mapping[str, Any]) -> IssuedCode:
        if form.get("grant_type") != "authorization_code":
            raise TokenRequestError(
                "unsupported_grant_type", "only grant_type=authorization_code is supported")
        issued = self.codes.get(str(form.get("code", "")))
        if issued is None:
            raise TokenRequestError("invalid_grant", "unknown authorization code")
        if issued.used:
            # RFC 6749 §4.1.2: a code used twice was stolen; revoke what it bought
            self.access_tokens.pop(issued.access_token or "", None)
            raise TokenRequestError("invalid_grant", "the authorization code was already used")
        issued.used = True
        if self.clock() > issued.issued_at + self.code_lifetime:
            raise TokenRequestError("invalid_grant", "the authorization code expired")
        if issued.client_id != client.client_id:
            raise TokenRequestError("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != issued.redirect_uri:
            raise TokenRequestError(
                "invalid_grant", "redirect_uri differs from the one of the authorization request")
        if not code_verifier_matches(form.get("code_verifier"), issued.code_challenge, "S256"):
            raise TokenRequestError(
                "invalid_grant", "the PKCE code_verifier does not match the code_challenge "
                "(RFC 7636 §4.6)")
        return issued

    def id_token(self, client_id: str, issued: IssuedCode, access_token: str) -> str:
        """The signed id_token for ``issued`` (Core §2), through the test hooks if set."""
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client_id,
            "azp": client_id,
            "iat": now,
            "exp": now + self.id_token_lifetime,
            "auth_time": int(issued.issued_at),
            "at_hash": access_token_hash(access_token),
            **issued.user,
        }
        if issued.nonce is not None:
            claims["nonce"] = issued.nonce
        if self.rewrite_id_token_claims is not None:
            claims = self.rewrite_id_token_claims(claims)
        key = self.id_token_signing_key or self.signing_key
        return jwt.encode(claims, key, "RS256", headers={"kid": key["kid"]})

    # -- /userinfo (Core §5.3) -------------------------------------------------------------------

    async def userinfo(self, request: Request) -> Response:
        scheme, token = split_authorization(request.headers.get("authorization"))
        user = self.access_tokens.get(token) if scheme == "bearer" else None
        if user is None:
            return JSONResponse(
                {"error": "invalid_token"}, status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return JSONResponse(user)


AUTHORIZATION_PARAMETERS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method",
)


def _with_query(uri: str, parameters: Mapping[str, str]) -> str:
    separator = "&" if urlsplit(uri).query else "?"
    return uri + separator + urlencode(parameters)


def _basic_credentials(credentials: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TokenRequestError("invalid_client", "Basic credentials are not base64") from None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise TokenRequestError("invalid_client", "Basic credentials lack the ':'")
    # RFC 6749 §2.3.1: both were form-urlencoded before base64
    return unquote_plus(client_id), unquote_plus(client_secret)


__all__ = [
    "DEFAULT_USER",
    "ClientRegistration",
    "IssuedCode",
    "LocalProvider",
    "default_signing_key",
]
