"""miniauth: JWT, passwords, OAuth2, OIDC and RBAC written from scratch.

The token and password modules are pure: no I/O, no framework.

    miniauth.errors     the exception tree (PyJWT's names)
    miniauth.rsa        RSASSA-PKCS1-v1_5 from the integers up (RFC 8017)
    miniauth.jwk        keys as JSON (RFC 7517/7518), base64url, PEM read by hand
    miniauth.jwt        encode / decode / get_unverified_header (RFC 7519, RFC 7515)
    miniauth.jwks       the key-set client: fetch, cache, rotate (the only module with I/O)
    miniauth.passwords  scrypt password hashes (RFC 7914)
    miniauth.tokens     access + refresh tokens: rotation, reuse detection, revocation by jti
    miniauth.oidc_tokens  OpenID Connect's pure parts: PKCE, sealed cookies, discovery,
                        id_token validation (OpenID Connect Core §3.1.3.7)

and, on the miniasgi framework:

    miniauth.security   OAuth2 password bearer and form, HTTP Basic/Bearer, API keys
    miniauth.rbac       roles grant permissions; requires() / requires_role() dependencies
    miniauth.oidc       "Sign in with Google": the relying party's login, callback, logout
    miniauth.oidc_provider  a small local OpenID provider, for tests and the example

The names most code needs from the pure modules are re-exported here, so
``import miniauth`` then ``miniauth.decode(...)`` reads like PyJWT's
``jwt.decode(...)``. The framework modules are not imported here: importing
miniauth never pulls in a web framework.
"""

from miniauth.errors import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    JWTError,
    KeySetError,
    KeySetFetchError,
    MissingRequiredClaimError,
    TokenRevokedError,
)
from miniauth.jwt import decode, decode_complete, encode, get_unverified_header
from miniauth.passwords import hash_password, needs_rehash, verify_password

__all__ = [
    "DecodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
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
    "decode",
    "decode_complete",
    "encode",
    "get_unverified_header",
    "hash_password",
    "needs_rehash",
    "verify_password",
]
