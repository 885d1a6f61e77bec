"""The keys that verify other people's tokens: a JSON Web Key Set client (RFC 7517 §5).

An identity provider (Google, Auth0, the local OpenID provider in the tests)
signs tokens with private keys and publishes the public halves at a URL, its
``jwks_uri`` (OpenID Connect Discovery §3):

    {"keys": [{"kty": "RSA", "kid": "2024-06", "use": "sig", "n": "...", "e": "AQAB"},
              {"kty": "RSA", "kid": "2024-09", "use": "sig", "n": "...", "e": "AQAB"}]}

Each token names its key in the header's ``kid``. The client here fetches the
set, caches it, and hands ``decode`` the key the token names. The rules:

- The set is cached for ``ttl`` seconds, then fetched again.
- A kid the cache does not know may mean the provider rotated its keys: the
  set is fetched again at once, and the kid looked up once more.
- Fetches are never closer together than ``min_fetch_interval`` seconds while
  a set is cached. Without that limit, anyone could send tokens with random
  kids and turn every request into a request to the provider.
- When a fetch fails, the last good set is kept: a provider that is briefly
  down must not log everybody out. KeySetFetchError is raised only when no
  set was ever fetched.

This is the one module of miniauth's token code that does I/O, and it is kept
thin: the parsing and the choosing are plain functions, and the fetch function
and the clock are parameters, so tests run without network and without sleep.
The default fetch uses urllib and blocks; an async server should call the
client from a worker thread, or warm the cache at startup.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from miniauth.errors import KeySetError, KeySetFetchError
from miniauth.jwt import ALGORITHMS, decode, get_unverified_header

FetchFunction = Callable[[str, float], bytes]
MAXIMUM_KEY_SET_BYTES = 1024 * 1024  # real sets are a few kB; a larger answer is not a key set
KEY_TYPE_FOR_FAMILY = {"HMAC": "oct", "RSA": "RSA"}  # RFC 7518 §6.1: kty values


def fetch_with_urllib(url: str, timeout: float) -> bytes:
    """GET ``url`` and return the body; raise KeySetFetchError on any failure."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "miniauth-jwks"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAXIMUM_KEY_SET_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise KeySetFetchError(f"GET {url} answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise KeySetFetchError(f"GET {url} failed: {error}") from error
    if len(body) > MAXIMUM_KEY_SET_BYTES:
        raise KeySetFetchError(f"GET {url} answered more than {MAXIMUM_KEY_SET_BYTES} bytes")
    return body


def parse_key_set(body: bytes | str) -> list[dict[str, Any]]:
    """The signing keys of a JWKS document; raise ValueError if it is not one.

    Keys marked ``"use": "enc"`` are dropped: they encrypt, they never verify.
    """
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWK Set is a JSON object with a "keys" array (RFC 7517 §5)')
    return [
        key
        for key in document["keys"]
        if isinstance(key, dict) and isinstance(key.get("kty"), str) and key.get("use") != "enc"
    ]


def find_key(keys: Iterable[dict[str, Any]], kid: str | None) -> dict[str, Any] | None:
    """The key named ``kid``; for a token without kid, the only key if there is one."""
    keys = list(keys)
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    for key in keys:
        if key.get("kid") == kid:
            return key
    return None


class JWKSClient:
    """Fetches, caches and rotates the key set at ``url``; see the module docstring.

    ``fetch(url, timeout) -> bytes`` and ``clock() -> seconds`` default to urllib
    and ``time.monotonic``; tests pass their own.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_fetch_interval: float = 30.0,
        timeout: float = 5.0,
        fetch: FetchFunction = fetch_with_urllib,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"the key set URL must be http(s), got {url!r}")
        self.url = url
        self.ttl = ttl
        self.min_fetch_interval = min_fetch_interval
        self.timeout = timeout
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] | None = None
        self._fetched_at = 0.0
        self._last_attempt_at: float | None = None
        self.last_error: Exception | None = None  # why the latest fetch failed, for logs

    def keys(self) -> list[dict[str, Any]]:
        """The signing keys, fetched now if none are cached or the cache is stale.

        Call it at startup to warm the cache, so no request waits for the first fetch.
        """
        with self._lock:
            return list(self._fresh_keys(self._clock()))

    def get_signing_key(self, kid: str | None) -> dict[str, Any]:
        """The JWK named ``kid``, fetching the set when stale or when the kid is new."""
        with self._lock:
            now = self._clock()
            key = find_key(self._fresh_keys(now), kid)
            if key is None and self._may_fetch(now):
                self._refresh(now)  # maybe the provider rotated its keys
                key = find_key(self._keys, kid)
            known = [candidate.get("kid") for candidate in self._keys]
        if key is None:
            if kid is None:
                raise KeySetError(
                    f"the token has no kid and the key set at {self.url} has {len(known)} "
                    "keys: the provider must name the key in the token header"
                )
            raise KeySetError(
                f"no key with kid {kid!r} in the key set at {self.url} (it has {known}): "
                "the token was signed by a key this provider does not publish"
            )
        return key

    def get_signing_key_from_jwt(self, token: str | bytes) -> dict[str, Any]:
        """The JWK named by the (unverified) header of ``token``, checked to fit its alg.

        The token chooses the key here, so a key of the wrong type is the token's
        fault (KeySetError, a 401), not the server's (InvalidKeyError, a 500).
        """
        header = get_unverified_header(token)
        key = self.get_signing_key(header.get("kid"))
        algorithm = ALGORITHMS.get(header["alg"])
        if algorithm is not None and key.get("kty") != KEY_TYPE_FOR_FAMILY[algorithm.family]:
            raise KeySetError(
                f"the token says {algorithm.name} but names key {key.get('kid')!r}, "
                f"which has kty {key.get('kty')!r}"
            )
        return key

    def decode(self, token: str | bytes, algorithms: Iterable[str], **checks: Any) -> dict:
        """Verify ``token`` with the key it names; ``checks`` go to miniauth.jwt.decode."""
        return decode(token, self.get_signing_key_from_jwt(token), algorithms, **checks)

    def _fresh_keys(self, now: float) -> list[dict[str, Any]]:
        if self._keys is None or now - self._fetched_at >= self.ttl:
            self._refresh(now)
        return self._keys

    def _may_fetch(self, now: float) -> bool:
        return (
            self._last_attempt_at is None or now - self._last_attempt_at >= self.min_fetch_interval
        )

    def _refresh(self, now: float) -> None:
        if self._keys is not None and not self._may_fetch(now):
            return  # a fetch just happened (or just failed): serve what we have
        self._last_attempt_at = now
        try:
            keys = parse_key_set(self._fetch(self.url, self.timeout))
        except (KeySetFetchError, OSError, ValueError, RecursionError) as error:
            self.last_error = error
            if self._keys is None:
                raise KeySetFetchError(
                    f"could not get the key set from {self.url}: {error}"
                ) from error
            return  # keep the last good set
        self._keys, self._fetched_at, self.last_error = keys, now, None


__all__ = ["JWKSClient", "fetch_with_urllib", "find_key", "parse_key_set"]
