"""JSON Web Tokens (RFC 7519), signed in the JWS compact serialization (RFC 7515).

A JWT is three base64url strings joined by dots:

    eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 . eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0 . <signature>
    └── header: {"alg":"HS256","typ":"JWT"}  └── payload: {"sub":"42","exp":1700000000}

The signature covers the first two parts exactly as written ("the signing
input", RFC 7515 §5.1), with HMAC and a shared secret (HS256/384/512, RFC 7518
§3.2) or with an RSA private key (RS256/384/512, §3.3, see miniauth.rsa). The
payload is not encrypted: anyone can read it; only the signature makes it
trustworthy. The API is PyJWT's: ``encode``, ``decode``, ``get_unverified_header``.

Every check here exists because a real library once skipped it:

- ``algorithms`` is required, "none" is never accepted (RFC 7518 §3.6), and
  the token's alg must be one the caller allowed: the token must not choose
  how it is checked (RFC 8725 §3.1).
- The key must fit the algorithm: an RSA key, as a JWK or as PEM text, is
  never used as an HMAC secret. Otherwise a token signed with HS256 using the
  server's *public* key verifies (the algorithm-confusion attack, RFC 8725 §2.1).
- base64url without padding only, in its one canonical spelling; header and
  payload must be JSON objects; NaN and Infinity are not JSON (RFC 8259 §6).
- A header listing critical extensions (``crit``, RFC 7515 §4.1.11) is refused:
  none are understood here.
- The signature is checked before the payload is even parsed, so no claim of
  a forged token is ever read.
- exp, nbf and iat must be JSON numbers, not strings or booleans (RFC 7519 §2
  NumericDate), compared with a ``leeway`` for clock skew.
- aud (a string or a list) and iss are compared exactly; a token that names
  an audience is refused when none was expected, since it was meant for
  another service (as PyJWT does).
- Any malformed token raises DecodeError, never TypeError, RecursionError or
  UnicodeDecodeError: a handler that catches InvalidTokenError catches all.

Duplicate JSON member names keep the last value, which RFC 7519 §4 permits.
Time comes from ``now=`` (seconds since 1970) when given, else ``time.time()``:
tests pass ``now`` instead of sleeping.
"""

from __future__ import annotations

import hmac
import json
import math
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from miniauth import rsa
from miniauth.errors import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InsecureKeyLengthWarning,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
)
from miniauth.jwk import base64url_decode, base64url_encode, hmac_secret_for, rsa_key_for
from miniauth.rsa import RsaPrivateKey


@dataclass(frozen=True)
class Algorithm:
    """One row of the JWA table (RFC 7518 §3.1) that this module implements."""

    name: str
    family: str  # "HMAC" or "RSA": decides which keys fit
    hash_name: str
    digest_size: int


ALGORITHMS = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm("HS256", "HMAC", "sha256", 32),
        Algorithm("HS384", "HMAC", "sha384", 48),
        Algorithm("HS512", "HMAC", "sha512", 64),
        Algorithm("RS256", "RSA", "sha256", 32),
        Algorithm("RS384", "RSA", "sha384", 48),
        Algorithm("RS512", "RSA", "sha512", 64),
    )
}

DEFAULT_OPTIONS: dict[str, Any] = {
    "verify_signature": True,
    "verify_exp": True,
    "verify_nbf": True,
    "verify_iat": True,
    "verify_aud": True,
    "verify_iss": True,
    "strict_aud": False,
    "require": (),
}
TIME_CLAIMS = ("exp", "nbf", "iat")

# One encoder for every token: compact, and refusing NaN so we never write invalid JSON.
_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


_JSON_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)

# The header segment most tokens carry, encoded once per algorithm.
_PLAIN_HEADER_SEGMENTS = {
    name: base64url_encode(_JSON_ENCODER.encode({"alg": name, "typ": "JWT"}).encode())
    for name in ALGORITHMS
}


def _sign(algorithm: Algorithm, key: Any, signing_input: bytes) -> bytes:
    if algorithm.family == "HMAC":
        secret = hmac_secret_for(key, algorithm.name)
        if len(secret) < algorithm.digest_size:
            warnings.warn(
                f"the {algorithm.name} secret is {len(secret)} bytes; RFC 7518 §3.2 requires "
                f"at least {algorithm.digest_size}: generate one with secrets.token_bytes("
                f"{algorithm.digest_size})",
                InsecureKeyLengthWarning,
                stacklevel=3,
            )
        return hmac.digest(secret, signing_input, algorithm.hash_name)
    private_key = rsa_key_for(key, algorithm.name, for_signing=True)
    return rsa.sign(private_key, signing_input, algorithm.hash_name)


def _signature_matches(
    algorithm: Algorithm, key: Any, signing_input: bytes, signature: bytes
) -> bool:
    if algorithm.family == "HMAC":
        expected = hmac.digest(
            hmac_secret_for(key, algorithm.name), signing_input, algorithm.hash_name
        )
        return hmac.compare_digest(expected, signature)
    public_key = rsa_key_for(key, algorithm.name, for_signing=False)
    if isinstance(public_key, RsaPrivateKey):
        public_key = public_key.public_key()
    return rsa.verify(public_key, signing_input, signature, algorithm.hash_name)


# -- encode ----------------------------------------------------------------------------------


def encode(
    payload: Mapping[str, Any],
    key: Any,
    algorithm: str = "HS256",
    headers: Mapping[str, Any] | None = None,
    *,
    json_encoder: type[json.JSONEncoder] | None = None,
) -> str:
    """Sign ``payload`` (a mapping of claims) and return the compact JWT.

    ``key`` is the HMAC secret (bytes, str, or an "oct" JWK) for HS*, the RSA
    private key (a JWK dict, PEM text, or an RsaPrivateKey) for RS*. datetime
    values of exp, nbf and iat become NumericDates. ``headers`` adds header
    members such as ``kid``. Raises InvalidAlgorithmError for "none" or an
    unknown algorithm, InvalidKeyError when the key does not fit it.
    """
    if not isinstance(payload, Mapping):
        raise TypeError(
            f"JWT payloads are JSON objects: pass a dict of claims, not {type(payload).__name__}"
        )
    chosen = _algorithm_named(algorithm)
    encoder = _JSON_ENCODER
    if json_encoder is not None:  # e.g. one that knows how to write UUIDs or Decimals
        encoder = json_encoder(separators=(",", ":"), allow_nan=False)
    if headers:
        if headers.get("alg", algorithm) != algorithm:
            raise ValueError(
                f"headers say alg {headers['alg']!r} but algorithm={algorithm!r}: "
                "pass the algorithm only as algorithm="
            )
        header = {"alg": algorithm, "typ": "JWT", **headers}
        header_segment = base64url_encode(encoder.encode(header).encode())
    else:
        header_segment = _PLAIN_HEADER_SEGMENTS[algorithm]
    if any(isinstance(payload.get(claim), datetime) for claim in TIME_CLAIMS):
        payload = {
            claim: _numeric_date(value) if claim in TIME_CLAIMS else value
            for claim, value in payload.items()
        }
    payload_segment = base64url_encode(encoder.encode(payload).encode())
    signing_input = f"{header_segment}.{payload_segment}"
    signature = _sign(chosen, key, signing_input.encode("ascii"))
    return f"{signing_input}.{base64url_encode(signature)}"


def _algorithm_named(name: Any) -> Algorithm:
    if isinstance(name, str) and name.lower() == "none":
        raise InvalidAlgorithmError(
            "unsecured tokens (alg 'none', RFC 7518 §3.6) are never made or accepted here"
        )
    if name not in ALGORITHMS:
        raise InvalidAlgorithmError(
            f"algorithm {name!r} is not supported: use one of {list(ALGORITHMS)}"
        )
    return ALGORITHMS[name]


def _numeric_date(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} for a time claim: attach a timezone (UTC)")
        return int(value.timestamp())
    return value


# -- decode: structure ------------------------------------------------------------------------


def _split(token: Any) -> tuple[str, str, str, dict[str, Any]]:
    """The three segments of a compact JWS, and its parsed, checked header."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError("a token is ASCII text; these bytes are not") from None
    elif not isinstance(token, str):
        raise DecodeError(f"a token is a str (or ASCII bytes), got {type(token).__name__}")
    segments = token.split(".")
    if len(segments) != 3:
        raise DecodeError(
            f"a JWT has three base64url segments separated by '.', this one has "
            f"{len(segments)}: was it truncated, or is it a JWE (five segments)?"
        )
    header = _parse_json_object(segments[0], "header")
    _check_header(header)
    return segments[0], segments[1], segments[2], header


def _parse_json_object(segment: str, part: str) -> dict[str, Any]:
    try:
        parsed = _JSON_DECODER.decode(base64url_decode(segment).decode("utf-8"))
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
        raise DecodeError(f"the token's {part} is not base64url-encoded JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise DecodeError(f"the token's {part} must be a JSON object, got {type(parsed).__name__}")
    return parsed


def _check_header(header: dict[str, Any]) -> None:
    if not isinstance(header.get("alg"), str):
        raise DecodeError('the token header needs "alg", a string naming the algorithm')
    if "crit" in header:
        raise InvalidTokenError(
            f"the token header marks extensions {header['crit']!r} as critical (RFC 7515 "
            "§4.1.11) and none are understood here, so the token must be refused"
        )
    if "kid" in header and not isinstance(header["kid"], str):
        raise InvalidTokenError('the "kid" header parameter must be a string')


def get_unverified_header(token: str | bytes) -> dict[str, Any]:
    """The token's header, checked for form but NOT verified: use it only to pick a key.

    The usual use is reading ``kid`` to choose the key from a key set. Nothing
    in it may be trusted until ``decode`` has verified the signature.
    """
    return _split(token)[3]


# -- decode: signature ------------------------------------------------------------------------


def _allowed_algorithm(header: dict[str, Any], algorithms: Any) -> Algorithm:
    if not algorithms:
        raise DecodeError(
            'decode() needs algorithms=, e.g. algorithms=["HS256"]: list the algorithms '
            "you issue, so the token cannot choose how it is checked (RFC 8725 §3.1)"
        )
    if isinstance(algorithms, str):
        raise TypeError(f"algorithms must be a list, e.g. [{algorithms!r}], not a string")
    if not isinstance(algorithms, list | tuple | set | frozenset):
        algorithms = tuple(algorithms)  # a generator would be used up by the first check
    if any(isinstance(name, str) and name.lower() == "none" for name in algorithms):
        raise InvalidAlgorithmError("'none' may not be listed in algorithms: it means no signature")
    alg = header["alg"]
    if alg.lower() == "none":
        raise InvalidAlgorithmError(
            "the token is unsecured (alg 'none', RFC 7518 §3.6): such tokens are never accepted"
        )
    if alg not in algorithms:
        raise InvalidAlgorithmError(
            f"the token's alg {alg!r} is not among the allowed algorithms {list(algorithms)}"
        )
    return _algorithm_named(alg)


def _verify(
    header: dict[str, Any], segments: tuple[str, str, str], key: Any, algorithms: Any
) -> bytes:
    """The signature's bytes, once they are known to sign the token under ``key``."""
    algorithm = _allowed_algorithm(header, algorithms)
    try:
        signature = base64url_decode(segments[2])
    except ValueError as error:
        raise DecodeError(f"the token's signature is not base64url: {error}") from None
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    if not _signature_matches(algorithm, key, signing_input, signature):
        raise InvalidSignatureError(
            f"signature verification failed ({algorithm.name}): the token was altered, or "
            "signed with another key"
        )
    return signature


# -- decode: claims ---------------------------------------------------------------------------


def decode(
    token: str | bytes,
    key: Any = None,
    algorithms: Iterable[str] | None = None,
    *,
    audience: str | Iterable[str] | None = None,
    issuer: str | Iterable[str] | None = None,
    leeway: float | timedelta = 0,
    require: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify ``token`` and return its claims; raise an InvalidTokenError subclass if refused.

    ``algorithms`` lists the algorithms accepted (required). ``key`` is the HMAC
    secret or the RSA public key (JWK dict, PEM, RsaPublicKey; a private key
    works too). ``audience`` and ``issuer``, when given, must match aud and iss.
    ``leeway`` (seconds) allows for clock skew in exp, nbf and iat. ``require``
    names claims that must be present. ``options`` switches checks off, as in
    PyJWT: verify_signature, verify_exp, verify_nbf, verify_iat, verify_aud,
    verify_iss, strict_aud, require. ``now`` replaces the clock.
    Raises InvalidKeyError (not a token error) when the key does not fit.
    """
    return decode_complete(
        token,
        key,
        algorithms,
        audience=audience,
        issuer=issuer,
        leeway=leeway,
        require=require,
        options=options,
        now=now,
    )["payload"]


def decode_complete(
    token: str | bytes,
    key: Any = None,
    algorithms: Iterable[str] | None = None,
    *,
    audience: str | Iterable[str] | None = None,
    issuer: str | Iterable[str] | None = None,
    leeway: float | timedelta = 0,
    require: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Like ``decode``, but return {"header": ..., "payload": ..., "signature": bytes}."""
    checks = _merge_options(options)
    header_segment, payload_segment, signature_segment, header = _split(token)
    segments = (header_segment, payload_segment, signature_segment)
    if checks["verify_signature"]:
        signature = _verify(header, segments, key, algorithms)
    else:
        signature = _unverified_signature(signature_segment)
    payload = _parse_json_object(payload_segment, "payload")
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    _check_required(payload, checks["require"])
    _check_required(payload, require)
    _check_times(payload, checks, time.time() if now is None else now, leeway)
    if checks["verify_iss"]:
        _check_issuer(payload, issuer)
    if checks["verify_aud"]:
        _check_audience(payload, audience, strict=checks["strict_aud"])
    return {"header": header, "payload": payload, "signature": signature}


def _unverified_signature(segment: str) -> bytes:
    try:
        return base64url_decode(segment)
    except ValueError:
        return b""  # unchecked anyway: the caller switched verify_signature off


def _merge_options(options: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not options:
        return DEFAULT_OPTIONS
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise ValueError(
            f"unknown decode options {sorted(unknown)}: known are {sorted(DEFAULT_OPTIONS)}"
        )
    merged = dict(DEFAULT_OPTIONS)
    if options.get("verify_signature", True) is False:
        # as in PyJWT: without the signature, the claims are unchecked unless asked for
        merged.update({name: False for name in DEFAULT_OPTIONS if name.startswith("verify_")})
    merged.update(options)
    return merged


def _check_required(payload: dict[str, Any], required: Iterable[str]) -> None:
    if isinstance(required, str):
        raise TypeError(f"require must be a list of claim names, e.g. [{required!r}], not a string")
    for claim in required:
        if claim not in payload:
            raise MissingRequiredClaimError(claim)


def _check_times(
    payload: dict[str, Any], checks: Mapping[str, Any], now: float, leeway: float
) -> None:
    if "iat" in payload and checks["verify_iat"]:
        issued_at = payload["iat"]
        if not _is_numeric_date(issued_at):
            raise InvalidIssuedAtError(_not_a_number("iat", issued_at))
        if issued_at > now + leeway:
            raise ImmatureSignatureError(
                f"token issued in the future, at {_utc(issued_at)} (now {_utc(now)}, leeway "
                f"{leeway:g} s): the issuer's clock runs ahead; allow a leeway"
            )
    if "nbf" in payload and checks["verify_nbf"]:
        not_before = payload["nbf"]
        if not _is_numeric_date(not_before):
            raise DecodeError(_not_a_number("nbf", not_before))
        if not_before > now + leeway:
            raise ImmatureSignatureError(
                f"token not valid before {_utc(not_before)} (now {_utc(now)}, leeway "
                f"{leeway:g} s): try again later"
            )
    if "exp" in payload and checks["verify_exp"]:
        expires = payload["exp"]
        if not _is_numeric_date(expires):
            raise DecodeError(_not_a_number("exp", expires))
        if expires <= now - leeway:
            raise ExpiredSignatureError(
                f"token expired at {_utc(expires)} (now {_utc(now)}, leeway {leeway:g} s): "
                "the client must log in again"
            )


def _is_numeric_date(value: Any) -> bool:
    # bool is a subclass of int, and json reads 1e999 as inf: both are refused
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value))


def _not_a_number(claim: str, value: Any) -> str:
    return (
        f'the "{claim}" claim must be a JSON number of seconds since 1970 (a NumericDate, '
        f"RFC 7519 §2), got {type(value).__name__} {value!r:.60}"
    )


def _utc(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{seconds:g} s after 1970"


def _check_issuer(payload: dict[str, Any], issuer: str | Iterable[str] | None) -> None:
    if issuer is None:
        return
    if "iss" not in payload:
        raise MissingRequiredClaimError("iss")
    accepted = [issuer] if isinstance(issuer, str) else list(issuer)
    token_issuer = payload["iss"]
    if not isinstance(token_issuer, str) or token_issuer not in accepted:
        raise InvalidIssuerError(
            f"token was issued by {token_issuer!r:.100}, but only {accepted} are trusted"
        )


def _check_audience(
    payload: dict[str, Any], audience: str | Iterable[str] | None, *, strict: bool
) -> None:
    if audience is None:
        if "aud" in payload:
            raise InvalidAudienceError(
                f"token is meant for audience {payload['aud']!r:.100} but no audience was "
                "expected: pass audience= to decode() to accept it"
            )
        return
    if "aud" not in payload:
        raise MissingRequiredClaimError("aud")
    expected = [audience] if isinstance(audience, str) else list(audience)
    token_audience = payload["aud"]
    if strict:
        # strict_aud (PyJWT): one audience on each side, compared as strings
        if not isinstance(token_audience, str) or len(expected) != 1:
            raise InvalidAudienceError("strict_aud needs aud and audience= to be single strings")
        token_audiences = [token_audience]
    elif isinstance(token_audience, str):
        token_audiences = [token_audience]
    elif isinstance(token_audience, list) and all(isinstance(item, str) for item in token_audience):
        token_audiences = token_audience
    else:
        raise InvalidAudienceError(
            f'the "aud" claim must be a string or a list of strings (RFC 7519 §4.1.3), '
            f"got {type(token_audience).__name__}"
        )
    if not any(name in token_audiences for name in expected):
        raise InvalidAudienceError(
            f"token is meant for {token_audience!r:.100}, not for {expected}"
        )


__all__ = [
    "ALGORITHMS",
    "InsecureKeyLengthWarning",
    "decode",
    "decode_complete",
    "encode",
    "get_unverified_header",
]
