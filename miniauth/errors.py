"""The exceptions miniauth raises, and how they relate.

The names and the family tree follow PyJWT's, so code written against PyJWT
catches the same things here (``except InvalidTokenError`` catches every
reason a token was refused). Only the root is renamed: PyJWT calls it
``PyJWTError``, here it is ``JWTError``.

    JWTError                          anything miniauth's token code refuses
     ├── InvalidTokenError            the token must be refused (answer 401)
     │    ├── DecodeError             not a well-formed JWS: segments, base64url, JSON
     │    │    └── InvalidSignatureError   the signature does not match
     │    ├── ExpiredSignatureError   exp has passed (RFC 7519 §4.1.4)
     │    ├── ImmatureSignatureError  nbf (or iat) is still in the future (§4.1.5)
     │    ├── InvalidAudienceError    aud does not name us (§4.1.3)
     │    ├── InvalidIssuerError      iss is not who we trust (§4.1.1)
     │    ├── InvalidIssuedAtError    iat is not a number (§4.1.6)
     │    ├── InvalidAlgorithmError   alg is "none", not allowed, or not supported
     │    ├── MissingRequiredClaimError   a required claim is absent (.claim names it)
     │    ├── KeySetError             the key set has no key for the token's kid (jwks.py)
     │    └── TokenRevokedError       the token's jti or family is denied (tokens.py)
     ├── InvalidKeyError              the key does not fit the algorithm: a server bug
     └── KeySetFetchError             the key set could not be fetched, none is cached

    UserWarning
     └── InsecureKeyLengthWarning     an HMAC secret shorter than the hash (RFC 7518 §3.2)

Why InvalidKeyError is not an InvalidTokenError: a token cannot make the key
wrong. An RSA key handed to HS256 is a mistake in the server's configuration
(or the algorithm-confusion attack, RFC 8725 §2.1, when the server lets the
token choose), and it must not be swallowed by a handler that answers 401. KeySetFetchError is
outside InvalidTokenError for the same reason: the token may be fine while the
identity provider is unreachable (answer 503, not 401).

Messages say what failed and, where a person can act, what to do.
"""

from __future__ import annotations


class JWTError(Exception):
    """The root of every error miniauth's token code raises (PyJWT's PyJWTError)."""


class InvalidTokenError(JWTError):
    """The token must be refused; the message says why."""


class DecodeError(InvalidTokenError):
    """The token is not a well-formed compact JWS (segments, base64url, JSON)."""


class InvalidSignatureError(DecodeError):
    """The signature does not match the header and payload under this key."""


class ExpiredSignatureError(InvalidTokenError):
    """The exp claim is in the past, even after the leeway."""


class ImmatureSignatureError(InvalidTokenError):
    """The nbf (or iat) claim is in the future, even after the leeway."""


class InvalidAudienceError(InvalidTokenError):
    """The aud claim does not name an expected audience, or is badly formed."""


class InvalidIssuerError(InvalidTokenError):
    """The iss claim is not the expected issuer, or is badly formed."""


class InvalidIssuedAtError(InvalidTokenError):
    """The iat claim is not a JSON number."""


class InvalidAlgorithmError(InvalidTokenError):
    """The token's alg is "none", not in the allowed list, or not supported."""


class MissingRequiredClaimError(InvalidTokenError):
    """A claim the caller requires is absent; ``claim`` names it."""

    def __init__(self, claim: str) -> None:
        self.claim = claim
        super().__init__(f'Token is missing the "{claim}" claim')


class TokenRevokedError(InvalidTokenError):
    """The token's jti (or its family) is on the deny-list: it was revoked or reused."""


class InvalidKeyError(JWTError):
    """The key cannot be used with the algorithm (wrong type, too short, malformed)."""


class KeySetError(InvalidTokenError):
    """The JSON Web Key Set has no usable key for the token's kid."""


class KeySetFetchError(JWTError):
    """The JSON Web Key Set could not be fetched, and no earlier copy is cached."""


class InsecureKeyLengthWarning(UserWarning):
    """An HMAC secret is shorter than the hash output (RFC 7518 §3.2 requires at least that)."""


__all__ = [
    "DecodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InsecureKeyLengthWarning",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "JWTError",
    "KeySetError",
    "KeySetFetchError",
    "MissingRequiredClaimError",
    "TokenRevokedError",
]
