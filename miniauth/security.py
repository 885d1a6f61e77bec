"""Security schemes as dependencies: where a request carries its credentials.

Each class here is a miniasgi dependency (an instance is called with the
request and returns the credential it found) and an OpenAPI Security Scheme
Object (OpenAPI 3.1 §4.8.27), so /docs shows an Authorize button for it:

    scheme                      reads                           returns
    OAuth2PasswordBearer        Authorization: Bearer <token>   the token (str)
    OAuth2AuthorizationCodeBearer, OpenIdConnect   the same     the token (str)
    HTTPBearer                  Authorization: Bearer <token>   HTTPAuthorizationCredentials
    HTTPBasic                   Authorization: Basic <b64>      HTTPBasicCredentials
    APIKeyHeader/Query/Cookie   a named header, query, cookie   the key (str)

A request without the credential is answered 401 with a WWW-Authenticate
header naming the scheme (RFC 9110 §11.6.1): the challenge is what tells the
client how to authenticate. With ``auto_error=False`` the dependency returns
None instead, for endpoints that serve anonymous users too.

The Authorization header is ``<scheme> <credentials>`` with a case-insensitive
scheme (RFC 9110 §11.4). A bearer token is a b64token (RFC 6750 §2.1): letters,
digits and ``-._~+/``, then optional ``=``. Anything else (no scheme, the wrong
scheme, an empty token, a space inside the token) is malformed and answered
401 with a detail that says which. FastAPI accepts "Bearer " with an empty
token; this module does not.

These schemes only *find* credentials. Checking them (verify the token,
look up the user) is the app's dependency on top. ``bearer_claims(verify)``
builds the usual one: it verifies the bearer token (401 with
``error="invalid_token"`` and the reason when it fails, RFC 6750 §3.1) and
checks the scopes a route asks for with ``Security(..., scopes=[...])``
against the token's ``scope`` claim (403 ``insufficient_scope``, via
``scope_error``):

    tokens = TokenIssuer(secret, issuer="https://api.example", audience="api")
    current_user = bearer_claims(tokens.verify_access_token,
                                 OAuth2PasswordBearer(tokenUrl="/token"))

    @app.get("/items")
    def read_items(claims: dict = Security(current_user, scopes=["items:read"])): ...

OAuth2PasswordRequestForm is the login form of the password grant
(RFC 6749 §4.3.2): username, password, and space-separated scopes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from miniasgi.exceptions import HTTPException
from miniasgi.params import Depends, Form
from miniasgi.requests import Request
from miniasgi.security import SecurityBase, SecurityScopes
from miniauth.errors import InvalidTokenError

_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def _unauthorized(detail: str, challenge: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def split_authorization(header: str | None) -> tuple[str, str]:
    """``"Bearer abc"`` -> ("bearer", "abc"): the lower-cased scheme and the credentials.

    Returns ("", "") for a missing or empty header. Runs of spaces between the
    two are allowed (RFC 6750 §2.1: ``"Bearer" 1*SP b64token``).
    """
    if not header:
        return "", ""
    scheme, _, credentials = header.strip().partition(" ")
    return scheme.lower(), credentials.strip(" ")


def _bearer_challenge(scopes: Iterable[str] = ()) -> str:
    scope = " ".join(scopes)
    return f'Bearer scope="{scope}"' if scope else "Bearer"


def _bearer_token(request: Request, challenge: str) -> str:
    """The b64token of ``Authorization: Bearer ...``; raise the 401 that says what is wrong."""
    header = request.headers.get("authorization")
    scheme, token = split_authorization(header)
    if not scheme:
        raise _unauthorized("Not authenticated", challenge)
    if scheme != "bearer":
        raise _unauthorized(
            f"Authorization uses the {scheme!r} scheme; send 'Authorization: Bearer <token>'",
            challenge,
        )
    if not token:
        raise _unauthorized("Authorization: Bearer has no token after the scheme", challenge)
    if not _B64TOKEN.fullmatch(token):
        raise _unauthorized(
            "the bearer token is malformed: one token of letters, digits and -._~+/ "
            "(RFC 6750 §2.1), without spaces",
            challenge,
        )
    return token


# -- OAuth2 -----------------------------------------------------------------------------------


class _BearerScheme(SecurityBase):
    """What every bearer-token scheme shares: find the token, or answer 401 with a challenge."""

    def __init__(
        self, *, scheme_name: str | None, description: str | None, auto_error: bool
    ) -> None:
        self.scheme_name = scheme_name or type(self).__name__
        self.description = description
        self.auto_error = auto_error

    def _described(self, scheme: dict) -> dict:
        if self.description:
            scheme["description"] = self.description
        return scheme

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> str | None:
        try:
            return _bearer_token(request, _bearer_challenge(security_scopes.scopes))
        except HTTPException:
            if self.auto_error:
                raise
            return None


class OAuth2PasswordBearer(_BearerScheme):
    """The bearer token of the OAuth2 password flow; the token endpoint is ``tokenUrl``.

    ``scopes`` maps scope names to descriptions for the docs page. When a route
    asks for scopes (``Security(..., scopes=[...])``), the 401 challenge names them.
    """

    def __init__(
        self,
        tokenUrl: str,  # noqa: N803 - FastAPI's spelling, so code ports unchanged
        *,
        scheme_name: str | None = None,
        scopes: Mapping[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,  # noqa: N803
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.token_url = tokenUrl
        self.refresh_url = refreshUrl
        self.scopes = dict(scopes or {})

    def openapi_scheme(self) -> dict:
        flow = {"tokenUrl": self.token_url, "scopes": self.scopes}
        if self.refresh_url:
            flow["refreshUrl"] = self.refresh_url
        return self._described({"type": "oauth2", "flows": {"password": flow}})


class OAuth2AuthorizationCodeBearer(_BearerScheme):
    """The bearer token of the OAuth2 authorization-code flow (RFC 6749 §4.1).

    The docs page sends the user to ``authorizationUrl`` and trades the code at
    ``tokenUrl``: the flow "Sign in with Google" and other identity providers use.
    """

    def __init__(
        self,
        authorizationUrl: str,  # noqa: N803 - FastAPI's spelling
        tokenUrl: str,  # noqa: N803
        refreshUrl: str | None = None,  # noqa: N803
        *,
        scheme_name: str | None = None,
        scopes: Mapping[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.authorization_url = authorizationUrl
        self.token_url = tokenUrl
        self.refresh_url = refreshUrl
        self.scopes = dict(scopes or {})

    def openapi_scheme(self) -> dict:
        flow = {
            "authorizationUrl": self.authorization_url,
            "tokenUrl": self.token_url,
            "scopes": self.scopes,
        }
        if self.refresh_url:
            flow["refreshUrl"] = self.refresh_url
        return self._described({"type": "oauth2", "flows": {"authorizationCode": flow}})


class OpenIdConnect(_BearerScheme):
    """A bearer token from an OpenID provider, described by its discovery document.

    One deviation from FastAPI, whose OpenIdConnect returns the raw Authorization
    header (scheme included, unchecked): this one returns the token, checked as
    every bearer token here is.
    """

    def __init__(
        self,
        *,
        openIdConnectUrl: str,  # noqa: N803 - FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.open_id_connect_url = openIdConnectUrl

    def openapi_scheme(self) -> dict:
        return self._described(
            {"type": "openIdConnect", "openIdConnectUrl": self.open_id_connect_url}
        )


class OAuth2PasswordRequestForm:
    """The password grant's form (RFC 6749 §4.3.2), as ``form: OAuth2PasswordRequestForm = Depends()``.

    ``scopes`` is the ``scope`` field split on spaces (RFC 6749 §3.3).
    """

    def __init__(
        self,
        *,
        grant_type: str | None = Form(None, pattern="^password$"),
        username: str = Form(),
        password: str = Form(),
        scope: str = Form(""),
        client_id: str | None = Form(None),
        client_secret: str | None = Form(None),
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """The same form, but ``grant_type=password`` is required, as RFC 6749 says."""

    def __init__(
        self,
        *,
        grant_type: str = Form(pattern="^password$"),
        username: str = Form(),
        password: str = Form(),
        scope: str = Form(""),
        client_id: str | None = Form(None),
        client_secret: str | None = Form(None),
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


def scope_error(required: Iterable[str], granted: Iterable[str]) -> HTTPException | None:
    """The 403 insufficient_scope answer (RFC 6750 §3.1) when ``granted`` lacks any of ``required``.

    Returns None when every required scope was granted. Use it in the app's
    ``current_user`` dependency with the SecurityScopes it receives.
    """
    required = list(required)
    missing = [scope for scope in required if scope not in set(granted)]
    if not missing:
        return None
    challenge = f'Bearer error="insufficient_scope", scope="{" ".join(required)}"'
    return HTTPException(
        403,
        f"the token lacks the scope(s) {missing} that this operation requires",
        headers={"WWW-Authenticate": challenge},
    )


def bearer_claims(
    verify: Callable[[str], dict[str, Any]],
    scheme: _BearerScheme | None = None,
) -> Callable[..., Any]:
    """A dependency that returns the verified claims of the request's bearer token.

    ``verify(token) -> claims`` raises InvalidTokenError for a bad token (e.g.
    ``TokenIssuer.verify_access_token`` or a ``JWKSClient`` lambda); that becomes
    401 with ``error="invalid_token"`` and the reason (RFC 6750 §3.1). Scopes
    asked for with ``Security(..., scopes=[...])`` are checked against the
    token's ``scope`` claim: 403 when one is missing.

    ``verify`` runs on the event loop, which is right for HMAC and RSA checks
    (microseconds). A JWKSClient fetches over blocking urllib when its cache is
    cold or stale: warm it at startup with ``client.keys()`` so that requests rarely wait on
    the network.
    """
    scheme = scheme or OAuth2PasswordBearer(tokenUrl="/token")

    async def verified_claims(
        security_scopes: SecurityScopes, token: str = Depends(scheme)
    ) -> dict[str, Any]:
        try:
            claims = verify(token)
        except InvalidTokenError as error:
            raise _unauthorized(
                str(error), f'Bearer error="invalid_token", error_description="{_quotable(error)}"'
            ) from None
        granted = claims.get("scope", "")
        refusal = scope_error(
            security_scopes.scopes, granted.split() if isinstance(granted, str) else ()
        )
        if refusal is not None:
            raise refusal
        return claims

    return verified_claims


def _quotable(error: Exception) -> str:
    # a quoted-string may not hold '"' or '\\' unescaped (RFC 9110 §5.6.4); keep it printable ASCII
    text = str(error).replace("\\", "/").replace('"', "'")
    return "".join(character for character in text if " " <= character <= "~")[:200]


# -- HTTP authentication schemes (RFC 9110 §11, RFC 6750, RFC 7617) ---------------------------


@dataclass(frozen=True)
class HTTPAuthorizationCredentials:
    scheme: str
    credentials: str


@dataclass(frozen=True)
class HTTPBasicCredentials:
    username: str
    password: str


class HTTPBearer(SecurityBase):
    """``Authorization: Bearer <token>`` as HTTPAuthorizationCredentials."""

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # noqa: N803 - FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.bearer_format = bearerFormat
        self.scheme_name = scheme_name or type(self).__name__
        self.description = description
        self.auto_error = auto_error

    def openapi_scheme(self) -> dict:
        scheme = {"type": "http", "scheme": "bearer"}
        if self.bearer_format:
            scheme["bearerFormat"] = self.bearer_format
        if self.description:
            scheme["description"] = self.description
        return scheme

    async def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        try:
            token = _bearer_token(request, "Bearer")
        except HTTPException:
            if self.auto_error:
                raise
            return None
        return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)


class HTTPBasic(SecurityBase):
    """``Authorization: Basic base64(user:password)`` (RFC 7617) as HTTPBasicCredentials.

    The user-id may not contain ":" (RFC 7617 §2), so the first colon splits;
    the decoded octets are read as UTF-8 (the charset RFC 7617 §2.1 offers).
    """

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.scheme_name = scheme_name or type(self).__name__
        self.realm = realm
        self.description = description
        self.auto_error = auto_error

    def openapi_scheme(self) -> dict:
        scheme = {"type": "http", "scheme": "basic"}
        if self.description:
            scheme["description"] = self.description
        return scheme

    def _challenge(self) -> str:
        return f'Basic realm="{self.realm}"' if self.realm else "Basic"

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:
        try:
            return self._credentials(request.headers.get("authorization"))
        except HTTPException:
            if self.auto_error:
                raise
            return None

    def _credentials(self, header: str | None) -> HTTPBasicCredentials:
        scheme, encoded = split_authorization(header)
        if not scheme:
            raise _unauthorized("Not authenticated", self._challenge())
        if scheme != "basic":
            raise _unauthorized(
                f"Authorization uses the {scheme!r} scheme; send 'Authorization: Basic "
                "<base64 of user:password>'",
                self._challenge(),
            )
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _unauthorized(
                "Basic credentials must be the base64 of UTF-8 'user:password'", self._challenge()
            ) from None
        username, colon, password = decoded.partition(":")
        if not colon:
            raise _unauthorized(
                "Basic credentials lack the ':' between user and password", self._challenge()
            )
        return HTTPBasicCredentials(username=username, password=password)


# -- API keys ----------------------------------------------------------------------------------


class _APIKeyBase(SecurityBase):
    location = ""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.name = name
        self.scheme_name = scheme_name or type(self).__name__
        self.description = description
        self.auto_error = auto_error

    def openapi_scheme(self) -> dict:
        scheme = {"type": "apiKey", "in": self.location, "name": self.name}
        if self.description:
            scheme["description"] = self.description
        return scheme

    def _found(self, value: str | None) -> str | None:
        if value:
            return value
        if self.auto_error:
            # There is no registered "APIKey" auth scheme; FastAPI sends this challenge too,
            # because a 401 must carry one (RFC 9110 §15.5.2).
            raise _unauthorized(
                f"Not authenticated: send the API key in the {self.location} {self.name!r}",
                "APIKey",
            )
        return None


class APIKeyHeader(_APIKeyBase):
    """An API key in a request header, such as ``X-API-Key``."""

    location = "header"

    async def __call__(self, request: Request) -> str | None:
        return self._found(request.headers.get(self.name))


class APIKeyQuery(_APIKeyBase):
    """An API key in the query string, such as ``?api_key=...`` (it ends up in logs: prefer a header)."""

    location = "query"

    async def __call__(self, request: Request) -> str | None:
        return self._found(request.query_params.get(self.name))


class APIKeyCookie(_APIKeyBase):
    """An API key in a cookie, such as a session id."""

    location = "cookie"

    async def __call__(self, request: Request) -> str | None:
        return self._found(request.cookies.get(self.name))


__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "HTTPAuthorizationCredentials",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "OpenIdConnect",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "bearer_claims",
    "scope_error",
    "split_authorization",
]
