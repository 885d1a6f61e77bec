"""miniauth.jwk: base64url (RFC 4648 §5, RFC 7515 §2), JWK (RFC 7517/7518 §6), RFC 7638, PEM."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa
from hypothesis import given
from hypothesis import strategies as st

from miniauth import errors, jwk, rsa


@pytest.fixture(scope="module")
def openssl_key() -> crypto_rsa.RSAPrivateKey:
    return crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)


# -- base64url ------------------------------------------------------------------------------------


@given(st.binary())
def test_base64url_round_trips_any_bytes_without_padding(data: bytes) -> None:
    text = jwk.base64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert jwk.base64url_decode(text) == data


@pytest.mark.parametrize(
    "text, message",
    [
        ("QQ==", "without '=' padding"),
        ("a+b/", "only A-Z"),
        ("ab c", "only A-Z"),
        ("abcde", "one character over"),
        ("QR", "not canonical"),
        ("QUJ", "not canonical"),
        ("é", "only A-Z"),
    ],
)
def test_base64url_refuses_anything_but_the_canonical_unpadded_spelling(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        jwk.base64url_decode(text)


# -- RFC 7518 §6.3: RSA keys as JWK --------------------------------------------------------------


def test_an_rsa_private_key_round_trips_through_its_jwk(openssl_key) -> None:
    numbers = openssl_key.private_numbers()
    key = rsa.RsaPrivateKey(
        numbers.public_numbers.n,
        numbers.public_numbers.e,
        numbers.d,
        numbers.p,
        numbers.q,
        numbers.dmp1,
        numbers.dmq1,
        numbers.iqmp,
    )
    private_jwk = jwk.jwk_from_rsa_key(key, kid="k1")
    assert private_jwk["e"] == "AQAB" and private_jwk["kid"] == "k1"
    assert set(private_jwk) == {"kty", "n", "e", "d", "p", "q", "dp", "dq", "qi", "kid"}
    assert jwk.rsa_key_from_jwk(private_jwk) == key
    public = jwk.public_jwk(private_jwk)
    assert set(public) == {"kty", "n", "e", "kid"}
    assert jwk.rsa_key_from_jwk(public) == key.public_key()


def test_the_modulus_is_written_without_a_leading_zero_octet(openssl_key) -> None:
    n = openssl_key.private_numbers().public_numbers.n
    encoded = jwk.jwk_from_rsa_key(rsa.RsaPublicKey(n, 65537))["n"]
    assert len(jwk.base64url_decode(encoded)) == 256


def test_a_private_jwk_without_crt_values_is_a_private_key_too(openssl_key) -> None:
    numbers = openssl_key.private_numbers()
    bare = {
        "kty": "RSA",
        "n": jwk.base64url_encode(numbers.public_numbers.n.to_bytes(256, "big")),
        "e": "AQAB",
        "d": jwk.base64url_encode(numbers.d.to_bytes(256, "big").lstrip(b"\0")),
    }
    key = jwk.rsa_key_from_jwk(bare)
    assert isinstance(key, rsa.RsaPrivateKey) and not key.has_crt_values


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kty": "EC"}, 'expected a JWK with "kty": "RSA"'),
        ({"n": ""}, '"n" must be a non-empty'),
        ({"e": 65537}, '"e" must be a non-empty base64url string'),
        ({"n": "AQAB="}, '"n" is not valid base64url'),
        ({"d": "AQAB", "p": "AQAB"}, "lacks"),
        ({"oth": []}, "multi-prime"),
        ({"n": "AAE"}, "not a valid key"),
    ],
)
def test_malformed_rsa_jwks_say_what_is_wrong(change: dict, message: str) -> None:
    base = {"kty": "RSA", "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0", "e": "AQAB"}
    with pytest.raises(errors.InvalidKeyError, match=message):
        jwk.rsa_key_from_jwk({**base, **change})


# -- RFC 7518 §6.4: symmetric keys ---------------------------------------------------------------


def test_an_oct_jwk_round_trips_its_secret() -> None:
    secret = bytes(range(32))
    assert jwk.hmac_key_from_jwk(jwk.jwk_from_hmac_key(secret, kid="s")) == secret


@pytest.mark.parametrize(
    "value, message",
    [({"kty": "RSA", "k": "AA"}, "oct"), ({"kty": "oct"}, '"k"'), ({"kty": "oct", "k": "A"}, "k")],
)
def test_malformed_oct_jwks_are_refused(value: dict, message: str) -> None:
    with pytest.raises(errors.InvalidKeyError, match=message):
        jwk.hmac_key_from_jwk(value)


# -- RFC 7638: thumbprints ------------------------------------------------------------------------

RFC7638_EXAMPLE = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJE"
    "CPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY3"
    "68QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
    "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_the_rfc_7638_example_thumbprint_is_reproduced() -> None:
    assert jwk.thumbprint(RFC7638_EXAMPLE) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprints_ignore_optional_members_and_need_required_ones() -> None:
    bare = {name: RFC7638_EXAMPLE[name] for name in ("kty", "n", "e")}
    assert jwk.thumbprint(bare) == jwk.thumbprint(RFC7638_EXAMPLE)
    with pytest.raises(errors.InvalidKeyError, match="lacks"):
        jwk.thumbprint({"kty": "RSA", "n": "AQAB"})
    with pytest.raises(errors.InvalidKeyError, match="kty"):
        jwk.thumbprint({"kty": "OKP"})


# -- PEM and DER ------------------------------------------------------------------------------------

PRIVATE_FORMATS = {
    "PKCS#8": serialization.PrivateFormat.PKCS8,
    "PKCS#1": serialization.PrivateFormat.TraditionalOpenSSL,
}
PUBLIC_FORMATS = {
    "SubjectPublicKeyInfo": serialization.PublicFormat.SubjectPublicKeyInfo,
    "PKCS#1": serialization.PublicFormat.PKCS1,
}


@pytest.mark.parametrize("name", PRIVATE_FORMATS)
def test_private_pem_keys_are_read_to_the_same_numbers(name: str, openssl_key) -> None:
    pem = openssl_key.private_bytes(
        serialization.Encoding.PEM, PRIVATE_FORMATS[name], serialization.NoEncryption()
    )
    numbers = openssl_key.private_numbers()
    key = jwk.rsa_key_from_pem(pem)
    assert (key.n, key.d, key.p, key.q, key.qi) == (
        numbers.public_numbers.n,
        numbers.d,
        numbers.p,
        numbers.q,
        numbers.iqmp,
    )
    assert jwk.rsa_key_from_pem(pem.decode()) == key


@pytest.mark.parametrize("name", PUBLIC_FORMATS)
def test_public_pem_keys_are_read_to_the_same_numbers(name: str, openssl_key) -> None:
    pem = openssl_key.public_key().public_bytes(serialization.Encoding.PEM, PUBLIC_FORMATS[name])
    numbers = openssl_key.public_key().public_numbers()
    assert jwk.rsa_key_from_pem(pem) == rsa.RsaPublicKey(numbers.n, numbers.e)


def test_encrypted_keys_and_certificates_are_refused_with_advice(openssl_key) -> None:
    encrypted = openssl_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    )
    with pytest.raises(errors.InvalidKeyError, match="openssl pkcs8"):
        jwk.rsa_key_from_pem(encrypted)
    with pytest.raises(errors.InvalidKeyError, match="openssl x509"):
        jwk.rsa_key_from_pem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")


def test_an_ec_key_is_refused_as_not_rsa() -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(errors.InvalidKeyError, match="not an RSA key"):
        jwk.rsa_key_from_pem(pem)


def pem(label: str, der: bytes) -> str:
    return f"-----BEGIN {label}-----\n{base64.b64encode(der).decode()}\n-----END {label}-----\n"


@pytest.mark.parametrize(
    "der, message",
    [
        (b"", "ends in the middle"),
        (b"\x30\x80\x02\x01\x01\x00\x00", "indefinite"),
        (b"\x30\x81\x05\x02\x01\x01\x02\x01", "long form for a short length"),
        (b"\x30\x06\x02\x01\x05\x02\x01", "runs past the end"),
        (b"\x30\x03\x04\x01\x05", "expected 0x2"),
        (b"\x30\x03\x02\x01\x05", "expected 2"),
        (b"\x30\x06\x02\x01\xff\x02\x01\x03", "negative"),
        (b"\x30\x06\x02\x01\x05\x02\x01\x03\x00", "exactly one DER SEQUENCE"),
    ],
)
def test_malformed_der_is_refused_with_the_reason(der: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidKeyError, match=message):
        jwk.rsa_key_from_pem(pem("RSA PUBLIC KEY", der))


@given(st.binary(max_size=80))
def test_arbitrary_der_only_ever_raises_invalid_key_error(der: bytes) -> None:
    for label in ("RSA PUBLIC KEY", "RSA PRIVATE KEY", "PUBLIC KEY", "PRIVATE KEY"):
        try:
            jwk.rsa_key_from_pem(pem(label, der))
        except errors.InvalidKeyError:
            pass


@pytest.mark.parametrize(
    "key, expected",
    [
        ("-----BEGIN PUBLIC KEY-----\n...", True),
        (b"  ssh-rsa AAAA user@host", True),
        ("ecdsa-sha2-nistp256 AAAA", True),
        ("correct horse battery staple", False),
        (b"\x00\xff binary secret", False),
    ],
)
def test_asymmetric_keys_are_recognised_whatever_their_type(key, expected: bool) -> None:
    assert jwk.looks_like_asymmetric_key(key) is expected
