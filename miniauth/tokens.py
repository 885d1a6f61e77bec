"""Access and refresh tokens: short-lived access, rotated refresh, and revocation by jti.

A signed JWT cannot be taken back: it is valid until its exp, wherever it is.
So access tokens live minutes (``access_ttl``, 15 by default), and the client
keeps a second, long-lived *refresh* token that it trades for a new pair when
the access token expires (OAuth 2.0, RFC 6749 §1.5 and §6). Then:

- Rotation. Every refresh token works once: trading it in denies its ``jti``
  and returns a new refresh token (RFC 9700 §4.14.2, the OAuth 2.0 Security
  Best Current Practice).
- Reuse detection. All refresh tokens descended from one login share a
  family id (``fam``). If a denied refresh token comes back, someone holds a
  copy: the whole family is denied, the thief's tokens and the user's alike,
  and the user logs in again.
- Revocation. "Log out" denies the token's jti, or the whole family, until
  the token would have expired anyway; after that the deny-list forgets it.
- Explicit typing. Access tokens carry header ``typ: at+jwt`` (RFC 9068 §2.1)
  and refresh tokens ``typ: rt+jwt``, and each verifier insists on its own
  type, so a refresh token can never be used as an access token (RFC 8725 §3.11).

The deny-list is pluggable: anything with ``deny(identifier, until)`` and
``is_denied(identifier)``. MemoryDenyList serves one process; several workers
need a shared one (a database table, Redis) with the same two methods.
The clock is a parameter, so expiry is tested without waiting.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from miniauth.errors import InvalidTokenError, TokenRevokedError
from miniauth.jwt import decode_complete, encode

ACCESS_TOKEN_TYPE = "at+jwt"
REFRESH_TOKEN_TYPE = "rt+jwt"


class DenyList(Protocol):
    """Where revoked token ids are kept until the tokens would have expired anyway."""

    def deny(self, identifier: str, until: float) -> bool:
        """Deny ``identifier`` until ``until``; True if it was not denied already.

        The check and the write must be one atomic step (Redis: SET NX; SQL: an
        INSERT that fails on the primary key), or two requests racing with the
        same refresh token could both succeed.
        """
        ...

    def is_denied(self, identifier: str) -> bool: ...


class MemoryDenyList:
    """A deny-list in a dict, for one process; entries are dropped once past ``until``."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def deny(self, identifier: str, until: float) -> bool:
        with self._lock:
            self._forget_expired()
            newly_denied = identifier not in self._until
            self._until[identifier] = max(until, self._until.get(identifier, until))
            return newly_denied

    def is_denied(self, identifier: str) -> bool:
        until = self._until.get(identifier)
        return until is not None and until > self._clock()

    def __len__(self) -> int:
        return len(self._until)

    def _forget_expired(self) -> None:
        now = self._clock()
        for identifier in [key for key, until in self._until.items() if until <= now]:
            del self._until[identifier]


@dataclass(frozen=True)
class TokenPair:
    """What a token endpoint returns (RFC 6749 §5.1)."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"

    def as_response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


class TokenIssuer:
    """Issues, verifies, refreshes and revokes one service's tokens.

    ``signing_key`` signs (an HMAC secret, or an RSA private JWK with RS256);
    ``verification_key`` verifies (defaults to the signing key: right for
    HMAC and fine for RSA, whose private JWK holds the public half).
    """

    def __init__(
        self,
        signing_key: Any,
        *,
        issuer: str,
        audience: str,
        algorithm: str = "HS256",
        verification_key: Any = None,
        access_ttl: int = 15 * 60,
        refresh_ttl: int = 14 * 24 * 3600,
        deny_list: DenyList | None = None,
        leeway: float = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signing_key = signing_key
        self.verification_key = signing_key if verification_key is None else verification_key
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.deny_list = MemoryDenyList(clock) if deny_list is None else deny_list
        self.leeway = leeway
        self.clock = clock

    # -- issuing -------------------------------------------------------------------------------

    def issue(
        self,
        subject: str,
        *,
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        family: str | None = None,
    ) -> TokenPair:
        """A new access + refresh pair for ``subject`` (a new family unless ``family``)."""
        now = int(self.clock())
        family = family or secrets.token_urlsafe(16)
        scope = " ".join(scopes)
        base = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": now, "fam": family}
        extra = dict(claims or {})
        access = {**extra, **base, "exp": now + self.access_ttl, "jti": secrets.token_urlsafe(16)}
        if scope:
            access["scope"] = scope  # RFC 9068 §2.2.3: space-separated
        refresh = {**base, "exp": now + self.refresh_ttl, "jti": secrets.token_urlsafe(16)}
        refresh["scope"], refresh["ext"] = scope, extra  # carried so a refresh can re-issue them
        return TokenPair(
            access_token=self._sign(access, ACCESS_TOKEN_TYPE),
            refresh_token=self._sign(refresh, REFRESH_TOKEN_TYPE),
            expires_in=self.access_ttl,
        )

    def _sign(self, claims: dict[str, Any], token_type: str) -> str:
        return encode(claims, self.signing_key, self.algorithm, headers={"typ": token_type})

    # -- verifying -----------------------------------------------------------------------------

    def verify_access_token(self, token: str | bytes) -> dict[str, Any]:
        """The claims of a valid, unrevoked access token; InvalidTokenError otherwise."""
        return self._verify(token, ACCESS_TOKEN_TYPE)

    def verify_refresh_token(self, token: str | bytes) -> dict[str, Any]:
        """The claims of a valid, unrevoked refresh token; InvalidTokenError otherwise."""
        return self._verify(token, REFRESH_TOKEN_TYPE)

    def _decode(self, token: str | bytes, **checks: Any) -> dict[str, Any]:
        """decode_complete with this service's key, algorithm, audience and issuer."""
        return decode_complete(token, self.verification_key, [self.algorithm],
                               audience=self.audience, issuer=self.issuer, **checks)

    def _verify(self, token: str | bytes, token_type: str) -> dict[str, Any]:
        complete = self._decode(token, leeway=self.leeway, now=self.clock(),
                                require=("exp", "iat", "sub", "jti", "fam"))
        if complete["header"].get("typ") != token_type:
            raise InvalidTokenError(
                f"expected a token of type {token_type!r} but got "
                f"{complete['header'].get('typ')!r}: access and refresh tokens are not "
                "interchangeable"
            )
        claims = complete["payload"]
        if self.deny_list.is_denied(f"family:{claims['fam']}"):
            raise TokenRevokedError("this session was logged out or revoked: log in again")
        if self.deny_list.is_denied(f"jti:{claims['jti']}"):
            raise TokenRevokedError(f"token {claims['jti']} was revoked: log in again")
        return claims

    # -- refreshing and revoking ----------------------------------------------------------------

    def refresh(
        self, refresh_token: str | bytes, *, claims: Mapping[str, Any] | None = None
    ) -> TokenPair:
        """Trade a refresh token for a new pair; the old refresh token stops working.

        The new tokens carry the login's extra claims, or ``claims`` when given:
        pass the user's current roles, so that a demotion takes effect at the
        next refresh instead of at the next login. Presenting a refresh token
        that was already traded in revokes its whole family (reuse detection)
        and raises TokenRevokedError.
        """
        try:
            old = self.verify_refresh_token(refresh_token)
        except TokenRevokedError:
            self._revoke_family_of(refresh_token)
            raise
        if not self.deny_list.deny(f"jti:{old['jti']}", until=old["exp"]):
            # another request traded this token in a moment ago: that is reuse too
            self._revoke_family_of(refresh_token)
            raise TokenRevokedError("this refresh token was already used: log in again")
        return self.issue(
            old["sub"],
            scopes=old.get("scope", "").split(),
            claims=(old.get("ext") or {}) if claims is None else claims,
            family=old["fam"],
        )

    def revoke(self, token: str | bytes, *, everywhere: bool = False) -> None:
        """Deny ``token`` (access or refresh) until it expires; ``everywhere`` denies its family.

        Revoking a token that is already invalid is not an error: log out twice is fine.
        """
        try:
            complete = self._decode(
                token, options={"verify_exp": False, "verify_iat": False, "verify_nbf": False}
            )
        except InvalidTokenError:
            return
        claims = complete["payload"]
        if "jti" not in claims or "fam" not in claims or "exp" not in claims:
            return
        self.deny_list.deny(f"jti:{claims['jti']}", until=claims["exp"])
        if everywhere:
            self.deny_list.deny(f"family:{claims['fam']}", until=self._family_end())

    def _revoke_family_of(self, refresh_token: str | bytes) -> None:
        # the signature was valid (only the deny-list refused it), so the claims are trustworthy
        claims = self._decode(refresh_token, leeway=self.leeway, now=self.clock())["payload"]
        self.deny_list.deny(f"family:{claims['fam']}", until=self._family_end())

    def _family_end(self) -> float:
        # no token of the family, access or refresh, can outlive the latest refresh token
        return self.clock() + self.refresh_ttl


__all__ = [
    "ACCESS_TOKEN_TYPE",
    "REFRESH_TOKEN_TYPE",
    "DenyList",
    "MemoryDenyList",
    "TokenIssuer",
    "TokenPair",
    "TokenRevokedError",
]
