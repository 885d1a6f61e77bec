"""The pure half of "Sign in with Google": PKCE, the login cookie, discovery and id_token checks.

OpenID Connect's authorization-code flow (OpenID Connect Core 1.0 §3.1) has
three parties: the browser, the relying party (our app) and the OpenID
provider (Google, or miniauth.oidc_provider in the tests):

    browser ── GET /auth/login ──────────────▶ app      makes state, nonce, code_verifier;
    browser ◀── 302 to the provider + cookie ── app      keeps them in a signed cookie
    browser ── GET /authorize?...&state&nonce&code_challenge ──▶ provider (the user logs in)
    browser ◀── 302 to redirect_uri?code&state ──────────────── provider
    browser ── GET /auth/callback?code&state + cookie ─▶ app  checks state against the cookie
                                      app ── POST /token code, code_verifier, secret ─▶ provider
                                      app ◀── {"id_token": ..., "access_token": ...} ── provider
                                      app: validate the id_token (signature, iss, aud, nonce...)

Each random value stops one attack:

- ``state`` ties the callback to a login this browser started (RFC 6749 §10.12):
  without it, an attacker sends the victim a callback link with the attacker's
  own code, and the victim is logged in as the attacker (login CSRF).
- ``nonce`` ties the id_token to this login attempt (Core §3.1.2.1): an
  id_token stolen from another login cannot be replayed into this one.
- PKCE (RFC 7636): the app sends ``S256(code_verifier)`` with the authorization
  request and the verifier itself with the code, so a code intercepted on its
  way back (a malicious app on the same phone, a leaky log) is useless to whoever
  does not hold the verifier. Only S256 is used; "plain" would send the secret
  itself through the browser (RFC 7636 §4.2 and §7.2).

Nothing is stored on the server between the two requests: the three values
travel in a cookie that is signed (HMAC, so it cannot be forged or edited),
expiring (a login must finish within minutes), HttpOnly (page scripts cannot
read it) and SameSite=Lax (sent on the provider's top-level GET redirect back
to us, not on cross-site sub-requests). The cookie is a small HS256 JWT
(miniauth.jwt): an HMAC-signed, expiring JSON object is exactly what a JWT
is, and its ``aud`` says what the cookie is for, so a login cookie is never
accepted as a session cookie. Signed is not encrypted: the browser can read
the values, which is fine, because the cookie only ever travels between this
browser and this app.

The id_token is checked as Core §3.1.3.7 lists: the signature (RS256 with the
provider's published key), ``iss`` equal to the provider's issuer, ``aud``
containing our client_id and no audience we do not trust, ``azp`` when there
are several audiences, ``exp`` in the future, ``iat`` recent, and ``nonce``
equal to the one in the cookie. ``at_hash`` (Core §3.1.3.8) is checked when
present. Discovery (OpenID Connect Discovery 1.0 §4) is checked as well: the
document's ``issuer`` must be exactly the issuer we asked (§4.3), or a
provider could speak for another.

Everything here is a plain function of its arguments; the clock is ``now``.
The network half, on miniasgi, is miniauth.oidc.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlencode, urlsplit

from miniauth import jwt
from miniauth.errors import InvalidTokenError
from miniauth.jwk import base64url_encode

GOOGLE_ISSUER = "https://accounts.google.com"
# Google's id_tokens carry iss "https://accounts.google.com" or "accounts.google.com"
# (Google's OpenID Connect documentation, "Validating an ID token").
ISSUER_ALIASES = {GOOGLE_ISSUER: ("accounts.google.com",)}
ID_TOKEN_ALGORITHMS = ("RS256",)  # what miniauth.jwt verifies with a public key
CODE_VERIFIER_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)


class LoginError(Exception):
    """A login attempt is refused; ``str(error)`` says why, ``status`` is the HTTP answer.

    400: the callback request itself is wrong (no cookie, forged state).
    401: the provider's answer was checked and refused (bad id_token, error from /token).
    502: the provider answered something that is not OpenID Connect.
    """

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# -- random values and PKCE (RFC 7636) --------------------------------------------------------


def new_random_value() -> str:
    """256 random bits as 43 base64url characters: a state, a nonce, or a code_verifier."""
    return secrets.token_urlsafe(32)


def code_challenge(code_verifier: str) -> str:
    """S256: base64url(SHA-256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    check_code_verifier(code_verifier)
    return base64url_encode(hashlib.sha256(code_verifier.encode("ascii")).digest())


def check_code_verifier(code_verifier: Any) -> None:
    """Raise ValueError unless ``code_verifier`` is 43 to 128 unreserved characters (§4.1)."""
    if not isinstance(code_verifier, str) or not 43 <= len(code_verifier) <= 128:
        raise ValueError("a code_verifier is 43 to 128 characters long (RFC 7636 §4.1)")
    if not set(code_verifier) <= CODE_VERIFIER_ALPHABET:
        raise ValueError("a code_verifier uses only A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)")


def code_verifier_matches(code_verifier: Any, challenge: str, method: str) -> bool:
    """The provider's check at /token (RFC 7636 §4.6): does the verifier hash to the challenge?

    Only S256 is accepted; a malformed verifier simply does not match.
    """
    if method != "S256":
        return False
    try:
        expected = code_challenge(code_verifier)
    except ValueError:
        return False
    return hmac.compare_digest(expected, challenge)


# -- sealed cookies: small HS256 JWTs -----------------------------------------------------------


def seal(data: Mapping[str, Any], secret: bytes, *, purpose: str, now: float, max_age: int) -> str:
    """``data`` signed with ``secret``, valid for ``max_age`` seconds, for one ``purpose``.

    The result is cookie-safe (base64url and dots).
    """
    # nested, so that no name in ``data`` can be mistaken for a registered claim such as nbf
    claims = {"data": dict(data), "aud": purpose, "iat": int(now), "exp": int(now) + max_age}
    return jwt.encode(claims, secret, "HS256")


def unseal(value: str, secret: bytes, *, purpose: str, now: float, what: str) -> dict[str, Any]:
    """The data ``seal`` signed; raise LoginError(400) naming ``what`` if it cannot be trusted."""
    try:
        claims = jwt.decode(value, secret, ["HS256"], audience=purpose, now=now)
    except InvalidTokenError as error:
        raise LoginError(f"the {what} cookie cannot be trusted: {error}", 400) from None
    data = claims.get("data")
    if not isinstance(data, dict):
        raise LoginError(f"the {what} cookie holds no data: it was not made by seal()", 400)
    return data


def safe_return_path(candidate: str | None, default: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``default`` (no open redirects).

    "//evil.example" and "/\\evil.example" are refused: browsers read both as another host.
    """
    if (
        not candidate
        or not candidate.startswith("/")
        or candidate.startswith(("//", "/\\"))
        or any(character < " " for character in candidate)
    ):
        return default
    return candidate


# -- discovery (OpenID Connect Discovery 1.0 §4) ----------------------------------------------


def discovery_url(issuer: str) -> str:
    """Where the issuer's configuration lives (§4.1: any trailing "/" of the issuer removed)."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def accepted_issuers(issuer: str) -> tuple[str, ...]:
    """The iss values an id_token from ``issuer`` may carry: Google has two spellings."""
    return (issuer, *ISSUER_ALIASES.get(issuer, ()))


def check_endpoint_url(url: Any, name: str) -> str:
    """``url`` if it is https, or http on a loopback host (a local provider); else LoginError."""
    if not isinstance(url, str) or not url:
        raise LoginError(f"the provider's configuration has no {name}", 502)
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return url
    raise LoginError(
        f"the provider's {name} {url!r} is not https: OpenID Connect needs TLS "
        "(plain http is allowed only on 127.0.0.1, ::1 or localhost, for local testing)",
        502,
    )


def _is_loopback(hostname: str | None) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname or "").is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ProviderMetadata:
    """What the relying party needs from the discovery document (Discovery §3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    token_endpoint_auth_methods: tuple[str, ...] = ("client_secret_basic",)
    code_challenge_methods: tuple[str, ...] | None = None  # None: the provider did not say
    id_token_algorithms: tuple[str, ...] = ("RS256",)

    @classmethod
    def from_document(cls, document: Any, expected_issuer: str) -> ProviderMetadata:
        """Check a parsed discovery document; raise LoginError(502) saying what is wrong."""
        if not isinstance(document, dict):
            raise LoginError("the provider's configuration is not a JSON object", 502)
        if document.get("issuer") != expected_issuer:
            raise LoginError(
                f"the configuration at {discovery_url(expected_issuer)} names issuer "
                f"{document.get('issuer')!r}, not {expected_issuer!r}: Discovery §4.3 requires "
                "them to be identical (check OIDC_ISSUER, including https:// and any trailing /)",
                502,
            )
        endpoints = {
            name: check_endpoint_url(document.get(name), name)
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        }
        userinfo = document.get("userinfo_endpoint")
        methods = document.get("code_challenge_methods_supported")
        return cls(
            issuer=expected_issuer,
            **endpoints,
            userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
            # Discovery §3: when absent, client_secret_basic is the default
            token_endpoint_auth_methods=_strings(
                document.get("token_endpoint_auth_methods_supported"), ("client_secret_basic",)
            ),
            code_challenge_methods=None if methods is None else _strings(methods, ()),
            id_token_algorithms=_strings(
                document.get("id_token_signing_alg_values_supported"), ("RS256",)
            ),
        )


def _strings(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list):
        return default
    return tuple(item for item in value if isinstance(item, str))


def choose_client_authentication(metadata: ProviderMetadata, preferred: str | None) -> str:
    """client_secret_basic or client_secret_post (Core §9): ``preferred``, or what the provider offers."""
    offered = metadata.token_endpoint_auth_methods
    if preferred is not None:
        if preferred not in ("client_secret_basic", "client_secret_post"):
            raise ValueError(
                f"token endpoint authentication {preferred!r} is not supported here: "
                "choose 'client_secret_basic' or 'client_secret_post'"
            )
        return preferred
    for method in ("client_secret_basic", "client_secret_post"):
        if method in offered:
            return method
    raise LoginError(
        f"the provider offers client authentication {list(offered)}, and this client "
        "speaks only client_secret_basic and client_secret_post",
        502,
    )


# -- the two requests ---------------------------------------------------------------------------


def authorization_url(
    metadata: ProviderMetadata,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: Iterable[str],
    state: str,
    nonce: str,
    code_verifier: str,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The provider URL that starts the login (Core §3.1.2.1, RFC 7636 §4.3)."""
    if metadata.code_challenge_methods is not None and "S256" not in metadata.code_challenge_methods:
        raise LoginError(
            f"the provider supports PKCE methods {list(metadata.code_challenge_methods)}, "
            "not S256: this client will not send its verifier in the clear ('plain')",
            502,
        )
    parameters = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(code_verifier),
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    separator = "&" if urlsplit(metadata.authorization_endpoint).query else "?"
    return metadata.authorization_endpoint + separator + urlencode(parameters, quote_via=quote)


def token_request(
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    client_id: str,
    client_secret: str,
    authentication: str,
) -> tuple[dict[str, str], bytes]:
    """The headers and form body that trade ``code`` for tokens (RFC 6749 §4.1.3).

    client_secret_basic sends id and secret in an Authorization header, each
    form-urlencoded first (RFC 6749 §2.3.1: a secret with ":" or "%" must
    survive); client_secret_post sends them in the body.
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    if authentication == "client_secret_basic":
        pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    return headers, urlencode(form).encode("ascii")


def parse_token_response(status: int, body: bytes) -> dict[str, Any]:
    """The token endpoint's JSON answer (RFC 6749 §5.1), or LoginError for its error (§5.2)."""
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        answer = None
    if status != 200:
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            description = answer.get("error_description") or "no description"
            raise LoginError(
                f"the provider refused the code: {answer['error']} ({description})", 401
            )
        raise LoginError(f"the provider's token endpoint answered {status}", 502)
    if not isinstance(answer, dict):
        raise LoginError("the provider's token endpoint did not answer a JSON object", 502)
    if not isinstance(answer.get("id_token"), str):
        raise LoginError(
            "the token response has no id_token: was the 'openid' scope requested?", 502
        )
    if str(answer.get("token_type", "")).lower() != "bearer":
        raise LoginError(
            f"the token response has token_type {answer.get('token_type')!r}, not Bearer "
            "(Core §3.1.3.3)",
            502,
        )
    return answer


# -- the id_token (Core §3.1.3.7) ---------------------------------------------------------------


def access_token_hash(access_token: str, algorithm: str = "RS256") -> str:
    """at_hash: base64url of the left half of the access token's hash (Core §3.1.3.6)."""
    hash_name = {"RS256": "sha256", "RS384": "sha384", "RS512": "sha512"}[algorithm]
    digest = hashlib.new(hash_name, access_token.encode("ascii")).digest()
    return base64url_encode(digest[: len(digest) // 2])


@dataclass(frozen=True)
class IdTokenRules:
    """What an id_token must say to be accepted by this client."""

    issuers: tuple[str, ...]
    client_id: str
    trusted_audiences: tuple[str, ...] = ()  # others this client accepts beside itself
    algorithms: tuple[str, ...] = ID_TOKEN_ALGORITHMS
    leeway: float = 60.0  # clock skew between us and the provider, in seconds
    max_age: float = 600.0  # an id_token issued longer ago than this is stale


def validate_id_token(
    id_token: str,
    key: Any,
    rules: IdTokenRules,
    *,
    nonce: str,
    now: float,
    access_token: str | None = None,
) -> dict[str, Any]:
    """The claims of ``id_token`` once every check of Core §3.1.3.7 passed; else LoginError(401).

    ``key`` is the provider's public key that the token's kid names (JWKSClient).
    ``nonce`` is the one this login sent, from the signed cookie.
    """
    try:
        claims = jwt.decode(
            id_token,
            key,
            list(rules.algorithms),
            audience=rules.client_id,
            issuer=list(rules.issuers),
            leeway=rules.leeway,
            require=["iss", "sub", "aud", "exp", "iat"],
            now=now,
        )
    except InvalidTokenError as error:
        raise LoginError(f"the id_token was refused: {error}") from None
    _check_audiences(claims, rules)
    if claims["iat"] < now - rules.max_age - rules.leeway:
        raise LoginError(
            f"the id_token was issued {now - claims['iat']:.0f} s ago, more than the "
            f"{rules.max_age:g} s a fresh login allows: it is being replayed, or a clock is wrong"
        )
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce, nonce):
        raise LoginError(
            "the id_token's nonce does not match the one this login sent (Core §3.1.3.7 "
            "step 11): the token belongs to another login attempt"
        )
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise LoginError('the id_token\'s "sub" must be a non-empty string (Core §2)')
    at_hash = claims.get("at_hash")
    if at_hash is not None and access_token is not None:
        expected = access_token_hash(access_token, _header_algorithm(id_token))
        if not isinstance(at_hash, str) or not hmac.compare_digest(at_hash, expected):
            raise LoginError("the id_token's at_hash does not match the access token (Core §3.1.3.8)")
    return claims


def _check_audiences(claims: dict[str, Any], rules: IdTokenRules) -> None:
    audiences = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
    strangers = [name for name in audiences if name not in (rules.client_id, *rules.trusted_audiences)]
    if strangers:
        raise LoginError(
            f"the id_token is also meant for {strangers}, which this client does not trust "
            "(Core §3.1.3.7 step 3)"
        )
    authorized_party = claims.get("azp")
    if len(audiences) > 1 and authorized_party is None:
        raise LoginError(
            "the id_token has several audiences and no azp naming who it was issued to "
            "(Core §3.1.3.7 step 4)"
        )
    if authorized_party is not None and authorized_party != rules.client_id:
        raise LoginError(
            f"the id_token was issued to {authorized_party!r} (azp), not to this client "
            f"{rules.client_id!r} (Core §3.1.3.7 step 5)"
        )


def _header_algorithm(id_token: str) -> str:
    return jwt.get_unverified_header(id_token)["alg"]  # verified by decode() already


__all__ = [
    "GOOGLE_ISSUER",
    "IdTokenRules",
    "LoginError",
    "ProviderMetadata",
    "accepted_issuers",
    "access_token_hash",
    "authorization_url",
    "check_code_verifier",
    "check_endpoint_url",
    "choose_client_authentication",
    "code_challenge",
    "code_verifier_matches",
    "discovery_url",
    "new_random_value",
    "parse_token_response",
    "safe_return_path",
    "seal",
    "token_request",
    "unseal",
    "validate_id_token",
]
