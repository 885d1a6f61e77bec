"""Keys as JSON: JSON Web Keys (RFC 7517, RFC 7518 §6), and PEM read by hand.

A JSON Web Key is a JSON object that describes one key. ``kty`` says which
kind; the other members are the key's numbers, base64url-encoded as unsigned
big-endian integers (RFC 7518 §6.3) or raw bytes (§6.4):

    {"kty": "RSA", "n": "ofgWCuLj...", "e": "AQAB"}             an RSA public key
    {"kty": "RSA", "n": ..., "e": ..., "d": ...,                 an RSA private key,
     "p": ..., "q": ..., "dp": ..., "dq": ..., "qi": ...}        with its CRT values
    {"kty": "oct", "k": "AyM1SysP..."}                          a shared HMAC secret

Optional members say what a key is for: ``kid`` names it inside a key set,
``alg`` pins the one algorithm it may be used with, ``use`` is "sig" or "enc".
The RFC 7638 thumbprint, a hash of the required members, makes a stable kid.

Keys also decide how tokens may be checked. An RSA key, as a JWK or as PEM,
is never an HMAC secret, whatever the token's header asks for (the
algorithm-confusion attack, RFC 8725 §2.1); an empty secret is refused (an unset
setting); RSA keys need 2048 bits (RFC 7518 §3.3); a JWK marked for one
algorithm or for encryption is not used for another. ``hmac_secret_for`` and
``rsa_key_for`` apply those rules for miniauth.jwt.

The same keys often travel as PEM: base64 DER between "-----BEGIN ...-----"
lines. DER (ITU-T X.690) is a tag, a length, a value, nested. The small reader
here understands the four RSA layouts in common use: PKCS#1 RSAPublicKey and
RSAPrivateKey (RFC 8017 Appendix A.1), SubjectPublicKeyInfo (RFC 5280 §4.1)
and PKCS#8 PrivateKeyInfo (RFC 5208 §5). Encrypted keys, certificates and
non-RSA keys are refused with a message that says how to convert them.

base64url (RFC 4648 §5, without the padding, RFC 7515 §2) lives here too,
because both keys and tokens are written in it. The decoder is strict: only
the URL-safe alphabet, no "=" padding, no leftover bits set, so that every
byte string has exactly one spelling and a token cannot be altered without
changing its bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from miniauth.errors import InvalidAlgorithmError, InvalidKeyError
from miniauth.rsa import RsaPrivateKey, RsaPublicKey

# -- base64url (RFC 4648 §5, RFC 7515 §2) -------------------------------------------------------

BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_BASE64URL_TEXT = re.compile(r"[A-Za-z0-9_-]*")
# With 2 or 3 characters in the last group, the last character carries 4 or 2 unused bits.
_UNUSED_BITS_MASK = {2: 0b1111, 3: 0b11}
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def base64url_encode(data: bytes) -> str:
    """base64url without padding: the spelling every JOSE structure uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; raise ValueError for anything not in canonical form."""
    if not _BASE64URL_TEXT.fullmatch(text):
        raise ValueError("not base64url: only A-Z a-z 0-9 - _ are allowed, without '=' padding")
    remainder = len(text) % 4
    if remainder == 1:
        raise ValueError("not base64url: the length leaves one character over (truncated?)")
    if remainder and BASE64URL_ALPHABET.index(text[-1]) & _UNUSED_BITS_MASK[remainder]:
        raise ValueError("not canonical base64url: the unused bits of the last character are set")
    # the alphabet is checked above, so the plain decoder may do the rest
    padded = text.encode("ascii").translate(_URLSAFE_TO_STANDARD) + b"=" * (-len(text) % 4)
    return binascii.a2b_base64(padded)


def _integer_from_base64url(jwk: Mapping[str, Any], member: str) -> int:
    value = jwk.get(member)
    if not isinstance(value, str) or not value:
        raise InvalidKeyError(f'JWK member "{member}" must be a non-empty base64url string')
    try:
        return int.from_bytes(base64url_decode(value), "big")
    except ValueError as error:
        raise InvalidKeyError(f'JWK member "{member}" is not valid base64url: {error}') from None


def _integer_to_base64url(number: int) -> str:
    # RFC 7518 §6.3.1.1: the minimal big-endian octets, no leading zero octet
    return base64url_encode(number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big"))


# -- JWK -> key ---------------------------------------------------------------------------------

RSA_CRT_MEMBERS = ("p", "q", "dp", "dq", "qi")
MINIMUM_RSA_BITS = 2048  # RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used"


def rsa_key_from_jwk(jwk: Mapping[str, Any]) -> RsaPublicKey | RsaPrivateKey:
    """The RSA key a JWK with kty "RSA" describes: private when it has "d"."""
    if jwk.get("kty") != "RSA":
        raise InvalidKeyError(f'expected a JWK with "kty": "RSA", got kty {jwk.get("kty")!r}')
    if "oth" in jwk:
        raise InvalidKeyError('multi-prime RSA keys ("oth", RFC 7518 §6.3.2.7) are not supported')
    n = _integer_from_base64url(jwk, "n")
    e = _integer_from_base64url(jwk, "e")
    try:
        if "d" not in jwk:
            return RsaPublicKey(n, e)
        d = _integer_from_base64url(jwk, "d")
        present = [member for member in RSA_CRT_MEMBERS if member in jwk]
        if not present:
            return RsaPrivateKey(n, e, d)
        if len(present) != len(RSA_CRT_MEMBERS):
            missing = [member for member in RSA_CRT_MEMBERS if member not in jwk]
            raise InvalidKeyError(f"RSA JWK has some CRT members but lacks {missing}: give all")
        crt = {member: _integer_from_base64url(jwk, member) for member in RSA_CRT_MEMBERS}
        return RsaPrivateKey(n, e, d, **crt)
    except ValueError as error:
        raise InvalidKeyError(f"RSA JWK is not a valid key: {error}") from None


def hmac_key_from_jwk(jwk: Mapping[str, Any]) -> bytes:
    """The secret bytes of a JWK with kty "oct" (RFC 7518 §6.4)."""
    if jwk.get("kty") != "oct":
        raise InvalidKeyError(f'expected a JWK with "kty": "oct", got kty {jwk.get("kty")!r}')
    value = jwk.get("k")
    if not isinstance(value, str):
        raise InvalidKeyError('JWK with kty "oct" needs the secret in member "k" (base64url)')
    try:
        return base64url_decode(value)
    except ValueError as error:
        raise InvalidKeyError(f'JWK member "k" is not valid base64url: {error}') from None


# -- key -> JWK ---------------------------------------------------------------------------------


def jwk_from_rsa_key(key: RsaPublicKey | RsaPrivateKey, **extra: str) -> dict[str, str]:
    """The JWK for an RSA key; ``extra`` adds members such as kid="2024-01" or alg="RS256".

    A private key gives a private JWK; call ``jwk_from_rsa_key(key.public_key())``
    for the half that may be published.
    """
    jwk = {"kty": "RSA", "n": _integer_to_base64url(key.n), "e": _integer_to_base64url(key.e)}
    if isinstance(key, RsaPrivateKey):
        jwk["d"] = _integer_to_base64url(key.d)
        if key.has_crt_values:
            for member in RSA_CRT_MEMBERS:
                jwk[member] = _integer_to_base64url(getattr(key, member))
    jwk.update(extra)
    return jwk


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an RSA JWK without its private members: the part to put in a JWKS."""
    private_members = {"d", "oth", *RSA_CRT_MEMBERS}
    return {member: value for member, value in jwk.items() if member not in private_members}


def jwk_from_hmac_key(secret: bytes, **extra: str) -> dict[str, str]:
    """The JWK for an HMAC secret (kty "oct")."""
    return {"kty": "oct", "k": base64url_encode(secret), **extra}


THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "oct": ("k", "kty"), "EC": ("crv", "kty", "x", "y")}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace; base64url."""
    kty = jwk.get("kty")
    if kty not in THUMBPRINT_MEMBERS:
        raise InvalidKeyError(f"cannot take the thumbprint of a JWK with kty {kty!r}")
    required = {member: jwk[member] for member in THUMBPRINT_MEMBERS[kty] if member in jwk}
    if len(required) != len(THUMBPRINT_MEMBERS[kty]):
        needed = THUMBPRINT_MEMBERS[kty]
        raise InvalidKeyError(f"JWK lacks members needed for its thumbprint: {needed}")
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return base64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


# -- which key fits which algorithm (RFC 7518 §3.2, §3.3; RFC 8725 §2.1) ----------------------


def hmac_secret_for(key: Any, algorithm: str) -> bytes:
    """The HMAC secret in ``key`` (bytes, str, or an "oct" JWK) for ``algorithm`` (e.g. "HS256").

    Refuses, with InvalidKeyError, anything that is or holds an asymmetric key,
    and the empty secret.
    """
    if isinstance(key, bytes):
        pass
    elif isinstance(key, str):
        key = key.encode("utf-8")
    elif isinstance(key, Mapping):
        if key.get("kty") != "oct":
            raise InvalidKeyError(
                f"{algorithm} needs a shared secret but got a JWK with kty "
                f"{key.get('kty')!r}: an RSA key must never be used as an HMAC secret "
                "(the algorithm-confusion attack, RFC 8725 §2.1)"
            )
        check_jwk_intent(key, algorithm)
        key = hmac_key_from_jwk(key)
    else:
        raise InvalidKeyError(
            f"{algorithm} needs a shared secret (bytes, str or an 'oct' JWK), "
            f"got {type(key).__name__}"
        )
    if looks_like_asymmetric_key(key):
        raise InvalidKeyError(
            f"{algorithm} was given a PEM or SSH key as its secret: an asymmetric key "
            "must never be used as an HMAC secret (the algorithm-confusion attack, RFC 8725 "
            "§2.1); allow only RS256 for tokens checked with a public key"
        )
    if not key:
        # an unset SECRET_KEY setting often arrives as "": anyone could then sign tokens
        raise InvalidKeyError(f"the {algorithm} secret is empty: is the secret setting missing?")
    return key


def rsa_key_for(key: Any, algorithm: str, *, for_signing: bool) -> RsaPublicKey | RsaPrivateKey:
    """The RSA key in ``key`` (a JWK dict, PEM text, or a key object) for ``algorithm``.

    Refuses plain strings (HMAC secrets), public keys for signing, and keys
    under MINIMUM_RSA_BITS.
    """
    if isinstance(key, Mapping):
        if key.get("kty") != "RSA":
            raise InvalidKeyError(
                f"{algorithm} needs an RSA key but got a JWK with kty {key.get('kty')!r}"
            )
        check_jwk_intent(key, algorithm)
        key = rsa_key_from_jwk(key)
    elif isinstance(key, (str, bytes)):
        if not looks_like_asymmetric_key(key):
            raise InvalidKeyError(
                f"{algorithm} needs an RSA key (a JWK dict or PEM text) but got a plain "
                "string, which looks like an HMAC secret: use HS256 for shared secrets"
            )
        key = rsa_key_from_pem(key)
    elif not isinstance(key, (RsaPublicKey, RsaPrivateKey)):
        raise InvalidKeyError(f"{algorithm} needs an RSA key, got {type(key).__name__}")
    if for_signing and not isinstance(key, RsaPrivateKey):
        raise InvalidKeyError(f"signing with {algorithm} needs the private key (with 'd')")
    if key.n.bit_length() < MINIMUM_RSA_BITS:
        raise InvalidKeyError(
            f"RSA key has {key.n.bit_length()} bits; RFC 7518 §3.3 requires at least "
            f"{MINIMUM_RSA_BITS} for {algorithm}"
        )
    return key


def check_jwk_intent(jwk: Mapping[str, Any], algorithm: str) -> None:
    """Refuse a JWK whose "use" is not "sig" or whose "alg" is another algorithm."""
    # RFC 7517 §4.2 and §4.4: a JWK may say it is for one use and one algorithm only
    if jwk.get("use", "sig") != "sig":
        raise InvalidKeyError(f"JWK {jwk.get('kid', '')!r} has use {jwk['use']!r}, not 'sig'")
    intended = jwk.get("alg")
    if intended is not None and intended != algorithm:
        raise InvalidAlgorithmError(
            f"JWK {jwk.get('kid', '')!r} is for {intended} only, but the token uses {algorithm}"
        )


# -- PEM and DER --------------------------------------------------------------------------------

_PEM_BLOCK = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----\s*([A-Za-z0-9+/=\s]*?)\s*-----END \1-----", re.DOTALL
)
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1
_DER_INTEGER, _DER_BIT_STRING, _DER_OCTET_STRING = 0x02, 0x03, 0x04
_DER_OID, _DER_SEQUENCE = 0x06, 0x30
_ASYMMETRIC_KEY_PREFIXES = (b"ssh-rsa", b"ssh-ed25519", b"ssh-dss", b"ecdsa-sha2-")
_PEM_ADVICE = {
    "ENCRYPTED PRIVATE KEY": "decrypt it first: openssl pkcs8 -in key.pem -nocrypt -topk8",
    "CERTIFICATE": "take its public key: openssl x509 -in cert.pem -pubkey -noout",
}


def looks_like_asymmetric_key(key: str | bytes) -> bool:
    """True for PEM text or an OpenSSH public key: things that must never be HMAC secrets."""
    raw = key.encode("utf-8", "replace") if isinstance(key, str) else key
    return b"-----BEGIN " in raw or raw.lstrip().startswith(_ASYMMETRIC_KEY_PREFIXES)


def rsa_key_from_pem(pem: str | bytes) -> RsaPublicKey | RsaPrivateKey:
    """The RSA key in PEM text: PKCS#1, SubjectPublicKeyInfo or unencrypted PKCS#8."""
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    match = _PEM_BLOCK.search(text)
    if match is None:
        raise InvalidKeyError(
            "not a PEM key: expected '-----BEGIN ...-----' and a matching END line"
        )
    label, body = match.group(1), match.group(2)
    if label in _PEM_ADVICE:
        raise InvalidKeyError(f"PEM {label} is not supported: {_PEM_ADVICE[label]}")
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except binascii.Error as error:
        raise InvalidKeyError(f"PEM body is not valid base64: {error}") from None
    readers = {
        "RSA PUBLIC KEY": _read_pkcs1_public_key,
        "RSA PRIVATE KEY": _read_pkcs1_private_key,
        "PUBLIC KEY": _read_subject_public_key_info,
        "PRIVATE KEY": _read_pkcs8_private_key,
    }
    if label not in readers:
        raise InvalidKeyError(f"PEM label {label!r} is not an RSA key: use one of {list(readers)}")
    try:
        return readers[label](der)
    except ValueError as error:
        raise InvalidKeyError(f"PEM {label} is malformed: {error}") from None


def _read_element(der: bytes, offset: int) -> tuple[int, bytes, int]:
    """One DER element at ``offset``: (tag, value, offset after it). X.690 §8.1, §10.1."""
    if offset + 2 > len(der):
        raise ValueError("DER ends in the middle of an element")
    tag, length, offset = der[offset], der[offset + 1], offset + 2
    if length & 0x80:  # long form: the low bits count the length octets that follow
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("DER length is indefinite or absurdly long")
        if offset + count > len(der) or der[offset] == 0:
            raise ValueError("DER length is truncated or not minimal")
        length = int.from_bytes(der[offset : offset + count], "big")
        if length < 0x80:
            raise ValueError("DER length uses the long form for a short length")
        offset += count
    if offset + length > len(der):
        raise ValueError("DER value runs past the end of the data")
    return tag, der[offset : offset + length], offset + length


def _read_sequence(der: bytes, expected_tags: tuple[int, ...]) -> list[bytes]:
    """The children of the one SEQUENCE that ``der`` holds; see _read_children."""
    tag, content, end = _read_element(der, 0)
    if tag != _DER_SEQUENCE or end != len(der):
        raise ValueError("expected exactly one DER SEQUENCE")
    return _read_children(content, expected_tags)


def _read_children(content: bytes, expected_tags: tuple[int, ...]) -> list[bytes]:
    """The values inside a SEQUENCE's content; the first ones must have ``expected_tags``.

    Children past the expected ones (optional attributes, parameters) are returned
    unchecked, so that callers can ignore them.
    """
    values: list[bytes] = []
    offset = 0
    while offset < len(content):
        tag, value, offset = _read_element(content, offset)
        position = len(values)
        if position < len(expected_tags) and tag != expected_tags[position]:
            expected = expected_tags[position]
            raise ValueError(f"element {position} has tag {tag:#x}, expected {expected:#x}")
        values.append(value)
    if len(values) < len(expected_tags):
        raise ValueError(f"SEQUENCE has {len(values)} elements, expected {len(expected_tags)}")
    return values


def _integer(value: bytes) -> int:
    if not value:
        raise ValueError("empty DER INTEGER")
    number = int.from_bytes(value, "big", signed=True)
    if number < 0:
        raise ValueError("negative DER INTEGER where a key number belongs")
    return number


def _read_pkcs1_public_key(der: bytes) -> RsaPublicKey:
    modulus, exponent = _read_sequence(der, (_DER_INTEGER, _DER_INTEGER))[:2]
    return RsaPublicKey(_integer(modulus), _integer(exponent))


def _read_pkcs1_private_key(der: bytes) -> RsaPrivateKey:
    values = _read_sequence(der, (_DER_INTEGER,) * 9)
    version, n, e, d, p, q, dp, dq, qi = (_integer(value) for value in values[:9])
    if version != 0:
        raise ValueError("only two-prime RSAPrivateKey (version 0) is supported")
    return RsaPrivateKey(n, e, d, p, q, dp, dq, qi)


def _check_rsa_algorithm(algorithm_identifier: bytes) -> None:
    # AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters (NULL for RSA) }
    oid = _read_children(algorithm_identifier, (_DER_OID,))[0]
    if oid != _RSA_ENCRYPTION_OID:
        raise ValueError("the key is not an RSA key (algorithm OID is not rsaEncryption)")


def _read_subject_public_key_info(der: bytes) -> RsaPublicKey:
    algorithm, bit_string = _read_sequence(der, (_DER_SEQUENCE, _DER_BIT_STRING))[:2]
    _check_rsa_algorithm(algorithm)
    if not bit_string or bit_string[0] != 0:
        raise ValueError("subjectPublicKey BIT STRING must have 0 unused bits")
    return _read_pkcs1_public_key(bit_string[1:])


def _read_pkcs8_private_key(der: bytes) -> RsaPrivateKey:
    version, algorithm, private_key = _read_sequence(
        der, (_DER_INTEGER, _DER_SEQUENCE, _DER_OCTET_STRING)
    )[:3]
    if _integer(version) not in (0, 1):
        raise ValueError("unknown PrivateKeyInfo version")
    _check_rsa_algorithm(algorithm)
    return _read_pkcs1_private_key(private_key)


__all__ = [
    "MINIMUM_RSA_BITS",
    "base64url_decode",
    "base64url_encode",
    "check_jwk_intent",
    "hmac_key_from_jwk",
    "hmac_secret_for",
    "jwk_from_hmac_key",
    "jwk_from_rsa_key",
    "looks_like_asymmetric_key",
    "public_jwk",
    "rsa_key_from_jwk",
    "rsa_key_for",
    "rsa_key_from_pem",
    "thumbprint",
]
