"""Sign in with Google (or any OpenID provider): the relying party, on miniasgi.

    login = RelyingParty(OIDCSettings(
        issuer="https://accounts.google.com",
        client_id="....apps.googleusercontent.com", client_secret="...",
        cookie_secret=secrets.token_bytes(32),
    ))
    app.include_router(login.router())            # GET /auth/login, /auth/callback; POST /auth/logout

    @app.get("/me")
    def me(user: dict = Depends(login.current_user)):
        return user

The flow is OpenID Connect's authorization code flow with PKCE (Core 1.0
§3.1, RFC 7636); miniauth.oidc_tokens draws it and holds every check as a
plain function. This module is the thin shell around them:

- **Discovery** (OpenID Connect Discovery 1.0 §4): the provider's endpoints are
  read from ``{issuer}/.well-known/openid-configuration`` at the first login and
  kept; its keys come from ``jwks_uri`` through miniauth.jwks.JWKSClient, which
  caches them and refetches when a token names a new kid (key rotation).
- **/auth/login** makes state, nonce and a PKCE verifier, seals them in the
  login cookie and redirects the browser to the provider (302). The cookie
  holds up to three pending logins, each with its own time limit, so logins
  started in several tabs all finish; the callback's state picks its own.
- **/auth/callback** checks the state against the cookie, trades the code at
  the token endpoint (client_secret_basic or client_secret_post, whichever the
  provider offers or the settings pin), validates the id_token, and starts the
  session.
- **The session** is this app's own, not the provider's: a signed cookie
  (HMAC, expiring, HttpOnly, SameSite=Lax) holding sub, email, name and iss.
  Nothing is stored on the server, so any worker can serve any request.
  ``current_user`` reads it (401 without one); POST /auth/logout clears it.
  ``sub`` (with ``iss``) is the stable user id; an ``email`` is only an
  identity when ``email_verified`` is true, and it can change.
  Apps that want bearer tokens instead can issue them from ``on_login``
  with miniauth.tokens.TokenIssuer.

The redirect URI is pinned in the settings (what to do behind a proxy you do
not control), or built from the request as the server describes it: scheme
(https when minihttp runs with --proxy-headers behind a TLS proxy), Host
header, root path. A forged Host header cannot send the code elsewhere: the
provider only redirects to the URIs registered for the client. Cookies are
marked Secure when the request's scheme is https.

The network calls (discovery, /token, the key set) use urllib, which blocks:
they run in miniasgi's thread pool, so the event loop keeps serving. ``http``
and ``clock`` are parameters, so tests can replace the network and the time.
"""

from __future__ import annotations

import hmac
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from miniasgi.concurrency import run_in_threadpool
from miniasgi.exceptions import HTTPException
from miniasgi.requests import Request
from miniasgi.responses import JSONResponse, RedirectResponse, Response
from miniasgi.routing import APIRouter
from miniauth.errors import KeySetError, KeySetFetchError
from miniauth.jwks import JWKSClient
from miniauth.oidc_tokens import (
    IdTokenRules,
    LoginError,
    ProviderMetadata,
    accepted_issuers,
    authorization_url,
    check_endpoint_url,
    choose_client_authentication,
    discovery_url,
    new_random_value,
    parse_token_response,
    safe_return_path,
    seal,
    token_request,
    unseal,
    validate_id_token,
)

logger = logging.getLogger("miniauth.oidc")

MINIMUM_COOKIE_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
MAXIMUM_RESPONSE_BYTES = 1024 * 1024  # discovery and token answers are a few kB
LOGIN_PURPOSE, SESSION_PURPOSE = "oidc-login", "oidc-session"
MAXIMUM_PENDING_LOGINS = 3  # logins started in several tabs at once; each adds ~250 bytes
CLIENT_AUTHENTICATIONS = ("client_secret_basic", "client_secret_post")  # Core §9
SESSION_CLAIMS = ("sub", "email", "email_verified", "name", "picture", "iss")

HttpFunction = Callable[[str, str, Mapping[str, str], bytes | None, float], tuple[int, bytes]]


def http_with_urllib(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> tuple[int, bytes]:
    """One HTTP exchange: (status, body). An error status is an answer; a dead network is not.

    Raises LoginError(503) when the provider cannot be reached at all.
    """
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error_status:
            response = error_status  # 4xx and 5xx are answers too: the body says why
        with response:
            return response.status, _whole_body(response, url)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise LoginError(f"the provider could not be reached ({method} {url}): {error}", 503) from None


def _whole_body(response: Any, url: str) -> bytes:
    body = response.read(MAXIMUM_RESPONSE_BYTES + 1)
    if len(body) > MAXIMUM_RESPONSE_BYTES:
        raise LoginError(f"{url} answered more than {MAXIMUM_RESPONSE_BYTES} bytes", 502)
    if getattr(response, "length", None):  # bytes the Content-Length promised and never came
        raise http.client.IncompleteRead(body, response.length)
    return body


@dataclass(frozen=True)
class OIDCSettings:
    """How this app signs users in; issuer, client id and secret come from the provider's console."""

    issuer: str
    client_id: str
    client_secret: str
    cookie_secret: bytes | str  # signs the login and session cookies: 32 random bytes or more
    redirect_uri: str | None = None  # pinned; None: built from each request (see the docstring)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    client_authentication: str | None = None  # "client_secret_basic"/"_post"; None: discovery's
    authorization_parameters: Mapping[str, str] = field(default_factory=dict)  # e.g. prompt
    trusted_audiences: tuple[str, ...] = ()
    login_cookie_name: str = "oidc_login"
    session_cookie_name: str = "oidc_session"
    login_max_age: int = 600  # seconds a user has to finish logging in at the provider
    session_max_age: int = 8 * 3600
    leeway: float = 60.0  # clock skew allowed between this server and the provider
    http_timeout: float = 10.0


class RelyingParty:
    """The login routes and the ``current_user`` dependency for one provider and client."""

    def __init__(
        self,
        settings: OIDCSettings,
        *,
        http: HttpFunction = http_with_urllib,
        clock: Callable[[], float] = time.time,
        on_login: Callable[[Request, dict[str, Any], Response], Any] | None = None,
        on_failure: Callable[[Request, LoginError], Response] | None = None,
    ) -> None:
        secret = settings.cookie_secret
        self._cookie_secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(self._cookie_secret) < MINIMUM_COOKIE_SECRET_BYTES:
            raise ValueError(
                f"cookie_secret has {len(self._cookie_secret)} bytes; use at least "
                f"{MINIMUM_COOKIE_SECRET_BYTES}, e.g. secrets.token_bytes(32)"
            )
        if settings.client_authentication not in (None, *CLIENT_AUTHENTICATIONS):
            raise ValueError(
                f"client_authentication {settings.client_authentication!r} is not supported: "
                f"choose one of {CLIENT_AUTHENTICATIONS}, or None to follow the provider"
            )
        if "openid" not in settings.scopes:
            raise ValueError(f"scopes {settings.scopes} lack 'openid': without it there is no id_token")
        self.settings = settings
        self.rules = IdTokenRules(
            issuers=accepted_issuers(settings.issuer),
            client_id=settings.client_id,
            trusted_audiences=settings.trusted_audiences,
            leeway=settings.leeway,
        )
        self._http = http
        self._clock = clock
        self._on_login = on_login
        self._on_failure = on_failure or _failure_as_json
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._key_set: JWKSClient | None = None
        self.cookie_path = "/"

    # -- the provider: discovery and keys (blocking; called in the thread pool) -----------------

    def metadata(self) -> ProviderMetadata:
        """The provider's checked configuration, fetched at the first call and kept."""
        with self._lock:
            if self._metadata is None:
                self._metadata = self._discover()
            return self._metadata

    def _discover(self) -> ProviderMetadata:
        check_endpoint_url(self.settings.issuer, "issuer")  # Discovery §2: an https URL
        url = discovery_url(self.settings.issuer)
        status, body = self._http("GET", url, {"Accept": "application/json"}, None,
                                  self.settings.http_timeout)
        if status != 200:
            raise LoginError(f"GET {url} answered {status}: is OIDC_ISSUER right?", 502)
        try:
            document = json.loads(body)
        except (ValueError, RecursionError) as error:
            raise LoginError(f"GET {url} did not answer JSON: {error}", 502) from None
        metadata = ProviderMetadata.from_document(document, self.settings.issuer)
        self._key_set = JWKSClient(
            metadata.jwks_uri, timeout=self.settings.http_timeout, fetch=self._fetch_key_set,
            clock=self._clock,
        )
        return metadata

    def _fetch_key_set(self, url: str, timeout: float) -> bytes:
        try:
            status, body = self._http("GET", url, {"Accept": "application/json"}, None, timeout)
        except LoginError as error:  # unreachable: JWKSClient keeps its last good set
            raise KeySetFetchError(error.reason) from None
        if status != 200:
            raise KeySetFetchError(f"GET {url} answered {status}")
        return body

    def signing_key(self, id_token: str) -> dict[str, Any]:
        """The provider's public key that ``id_token`` names, from the cached key set."""
        self.metadata()
        try:
            return self._key_set.get_signing_key_from_jwt(id_token)
        except KeySetError as error:
            raise LoginError(f"the id_token was refused: {error}") from None
        except KeySetFetchError as error:
            raise LoginError(f"the provider's keys could not be fetched: {error}", 503) from None

    # -- the two steps of a login ------------------------------------------------------------

    async def start_login(self, request: Request) -> Response:
        """Redirect to the provider, with state, nonce and verifier sealed in the login cookie."""
        state, nonce, code_verifier = new_random_value(), new_random_value(), new_random_value()
        redirect_uri = self.redirect_uri(request)
        try:
            location = authorization_url(
                await run_in_threadpool(self.metadata),
                client_id=self.settings.client_id,
                redirect_uri=redirect_uri,
                scopes=self.settings.scopes,
                state=state,
                nonce=nonce,
                code_verifier=code_verifier,
                extra=self.settings.authorization_parameters,
            )
        except LoginError as error:
            return self._refuse(request, error)
        now = self._clock()
        login = {
            "state": state,
            "nonce": nonce,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
            "next": safe_return_path(request.query_params.get("next")),
            "expires": int(now) + self.settings.login_max_age,
        }
        # logins started in other tabs and not finished yet stay valid beside this one
        others = self._logins_in_cookie(request, now)[-(MAXIMUM_PENDING_LOGINS - 1):]
        response = RedirectResponse(location, status_code=302)
        self._set_login_cookie(request, response, [*others, login])
        return response

    async def finish_login(self, request: Request) -> Response:
        """The callback: check, trade the code, validate, start the session; or refuse."""
        try:
            login = self._pending_login(request)
            tokens = await run_in_threadpool(self._exchange_code, login)
            claims = await run_in_threadpool(self._validated_claims, tokens, login["nonce"])
        except LoginError as error:
            return self._refuse(request, error)
        logger.info("login: sub %r from %r", claims["sub"], claims["iss"])
        response = RedirectResponse(login["next"], status_code=303)
        self._set_login_cookie(request, response, login["others"])
        session = {name: claims[name] for name in SESSION_CLAIMS if name in claims}
        sealed = seal(session, self._cookie_secret, purpose=SESSION_PURPOSE, now=self._clock(),
                      max_age=self.settings.session_max_age)
        self._set_cookie(request, response, self.settings.session_cookie_name, sealed,
                         self.settings.session_max_age, path="/")
        if self._on_login is not None:
            await _maybe_await(self._on_login(request, claims, response))
        return response

    def _pending_login(self, request: Request) -> dict[str, Any]:
        """The sealed login the callback continues, once its state matches (RFC 6749 §10.12).

        The result also holds ``code`` and ``others``: the logins still pending in other tabs.
        """
        cookie = request.cookies.get(self.settings.login_cookie_name)
        if not cookie:
            raise LoginError(
                "no login cookie came with the callback: the login was not started in this "
                "browser, took too long, or cookies are blocked; start again at the login link",
                400,
            )
        now = self._clock()
        logins = unseal(cookie, self._cookie_secret, purpose=LOGIN_PURPOSE, now=now,
                        what="login").get("logins", [])
        parameters = request.query_params
        state = parameters.get("state")
        if not state:
            raise LoginError("the callback has no state parameter (RFC 6749 §4.1.2)", 400)
        matching = [login for login in logins if _equal(state, login.get("state"))]
        if not matching:
            raise LoginError(
                "the callback's state does not match any login this browser started: a forged "
                f"callback (login CSRF, RFC 6749 §10.12), or a login pushed out by "
                f"{MAXIMUM_PENDING_LOGINS} newer ones",
                400,
            )
        if matching[0]["expires"] <= now:
            raise LoginError("this login took longer than its time limit: start again", 400)
        if parameters.get("error"):
            raise LoginError(
                f"the provider answered {parameters['error']}: "
                f"{parameters.get('error_description') or 'the login did not complete'}",
                401,
            )
        if not parameters.get("code"):
            raise LoginError("the callback has neither a code nor an error (RFC 6749 §4.1.2)", 400)
        others = [login for login in logins if login is not matching[0] and login["expires"] > now]
        return {**matching[0], "code": parameters["code"], "others": others}

    def _logins_in_cookie(self, request: Request, now: float) -> list[dict[str, Any]]:
        """The unexpired logins of a valid login cookie; none for a missing or bad one."""
        cookie = request.cookies.get(self.settings.login_cookie_name)
        if not cookie:
            return []
        try:
            logins = unseal(cookie, self._cookie_secret, purpose=LOGIN_PURPOSE, now=now,
                            what="login").get("logins", [])
        except LoginError:
            return []  # replaced by a fresh cookie: a bad one only ever loses its own logins
        return [login for login in logins if login["expires"] > now]

    def _set_login_cookie(self, request: Request, response: Response,
                          logins: list[dict[str, Any]]) -> None:
        if not logins:
            response.delete_cookie(self.settings.login_cookie_name, path=self.cookie_path)
            return
        now = self._clock()
        max_age = max(login["expires"] for login in logins) - int(now)
        sealed = seal({"logins": logins}, self._cookie_secret, purpose=LOGIN_PURPOSE, now=now,
                      max_age=max_age)
        self._set_cookie(request, response, self.settings.login_cookie_name, sealed, max_age)

    def _exchange_code(self, login: dict[str, Any]) -> dict[str, Any]:
        metadata = self.metadata()
        headers, body = token_request(
            code=login["code"],
            redirect_uri=login["redirect_uri"],
            code_verifier=login["code_verifier"],
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            authentication=choose_client_authentication(
                metadata, self.settings.client_authentication
            ),
        )
        status, answer = self._http("POST", metadata.token_endpoint, headers, body,
                                    self.settings.http_timeout)
        return parse_token_response(status, answer)

    def _validated_claims(self, tokens: dict[str, Any], nonce: str) -> dict[str, Any]:
        id_token = tokens["id_token"]
        return validate_id_token(
            id_token,
            self.signing_key(id_token),
            self.rules,
            nonce=nonce,
            now=self._clock(),
            access_token=tokens.get("access_token"),
        )

    def _refuse(self, request: Request, error: LoginError) -> Response:
        logger.warning("login refused (%d): %s", error.status, error.reason)
        return self._on_failure(request, error)

    # -- the session ---------------------------------------------------------------------------

    def user(self, request: Request) -> dict[str, Any] | None:
        """The signed-in user's claims from the session cookie, or None."""
        try:
            return self._session(request)
        except LoginError:
            return None

    def _session(self, request: Request) -> dict[str, Any]:
        cookie = request.cookies.get(self.settings.session_cookie_name)
        if not cookie:
            raise LoginError("not signed in: no session cookie", 401)
        return unseal(cookie, self._cookie_secret, purpose=SESSION_PURPOSE, now=self._clock(),
                      what="session")

    async def current_user(self, request: Request) -> dict[str, Any]:
        """Dependency: the signed-in user's claims; 401 with the reason when there is none."""
        try:
            return self._session(request)
        except LoginError as error:
            raise HTTPException(401, error.reason) from None

    async def logout(self, request: Request) -> Response:
        """Forget the session (this app's; the provider's own session is the provider's)."""
        response = RedirectResponse(safe_return_path(request.query_params.get("next")), 303)
        response.delete_cookie(self.settings.session_cookie_name, path="/")
        return response

    # -- wiring --------------------------------------------------------------------------------

    def redirect_uri(self, request: Request) -> str:
        """The callback URL the provider sends the browser to: pinned, or this request's own."""
        return self.settings.redirect_uri or str(request.url_for("oidc_callback"))

    def router(self, prefix: str = "/auth") -> APIRouter:
        """GET {prefix}/login, GET {prefix}/callback and POST {prefix}/logout."""
        self.cookie_path = prefix or "/"
        router = APIRouter(prefix=prefix, tags=["login"])
        router.add_api_route("/login", self.start_login, methods=["GET"], name="oidc_login",
                             summary="Start signing in with the OpenID provider")
        router.add_api_route("/callback", self.finish_login, methods=["GET"],
                             name="oidc_callback", include_in_schema=False)
        router.add_api_route("/logout", self.logout, methods=["POST"], name="oidc_logout",
                             summary="Sign out of this app")
        return router

    def _set_cookie(self, request: Request, response: Response, name: str, value: str,
                    max_age: int, path: str | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, path=path or self.cookie_path,
                            secure=request.url.scheme == "https", httponly=True, samesite="lax")


def _failure_as_json(request: Request, error: LoginError) -> Response:
    return JSONResponse({"detail": f"login failed: {error.reason}"}, status_code=error.status)


def _equal(given: str, expected: Any) -> bool:
    return isinstance(expected, str) and hmac.compare_digest(given.encode(), expected.encode())




async def _maybe_await(result: Any) -> Any:
    if hasattr(result, "__await__"):
        return await result
    return result


__all__ = ["LoginError", "OIDCSettings", "RelyingParty", "http_with_urllib"]
