"""miniauth.rsa, specified by RFC 8017 (PKCS #1 v2.2), with `cryptography` (OpenSSL) as oracle."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from miniauth import rsa

HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


def from_cryptography(private: crypto_rsa.RSAPrivateKey) -> rsa.RsaPrivateKey:
    numbers = private.private_numbers()
    return rsa.RsaPrivateKey(
        n=numbers.public_numbers.n,
        e=numbers.public_numbers.e,
        d=numbers.d,
        p=numbers.p,
        q=numbers.q,
        dp=numbers.dmp1,
        dq=numbers.dmq1,
        qi=numbers.iqmp,
    )


def to_cryptography(key: rsa.RsaPrivateKey) -> crypto_rsa.RSAPrivateKey:
    public_numbers = crypto_rsa.RSAPublicNumbers(key.e, key.n)
    numbers = crypto_rsa.RSAPrivateNumbers(
        key.p, key.q, key.d, key.dp, key.dq, key.qi, public_numbers
    )
    return numbers.private_key()  # cryptography checks that the numbers agree


@pytest.fixture(scope="module")
def openssl_key() -> crypto_rsa.RSAPrivateKey:
    return crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key(openssl_key) -> rsa.RsaPrivateKey:
    return from_cryptography(openssl_key)


# -- §4: data conversion primitives -----------------------------------------------------------


def test_i2osp_and_os2ip_are_big_endian_and_inverse() -> None:
    assert rsa.integer_to_octets(0x0102, 4) == b"\x00\x00\x01\x02"
    assert rsa.octets_to_integer(b"\x00\x00\x01\x02") == 0x0102
    with pytest.raises(ValueError, match="too large"):
        rsa.integer_to_octets(256**2, 2)


# -- §5.2: the signature primitives -------------------------------------------------------------


def test_verification_undoes_the_signature_primitive(key) -> None:
    message = 123456789
    assert (
        rsa.verification_primitive(key.public_key(), rsa.signature_primitive(key, message))
        == message
    )


def test_crt_and_plain_exponent_give_the_same_signature(key) -> None:
    plain = rsa.RsaPrivateKey(key.n, key.e, key.d)
    assert not plain.has_crt_values
    assert rsa.sign(plain, b"same", "sha256") == rsa.sign(key, b"same", "sha256")


def test_representatives_out_of_range_are_refused(key) -> None:
    with pytest.raises(ValueError, match="out of range"):
        rsa.signature_primitive(key, key.n)
    with pytest.raises(ValueError, match="out of range"):
        rsa.verification_primitive(key.public_key(), -1)


def test_a_corrupt_crt_value_is_caught_by_the_self_check(key) -> None:
    # a wrong dp is what a hardware fault during the CRT half looks like (Bellcore attack)
    broken = rsa.RsaPrivateKey(key.n, key.e, key.d, key.p, key.q, key.dp + 2, key.dq, key.qi)
    with pytest.raises(ArithmeticError, match="self-check"):
        rsa.sign(broken, b"message")


# -- §9.2: EMSA-PKCS1-v1_5 ----------------------------------------------------------------------


@pytest.mark.parametrize("hash_name", sorted(HASHES))
def test_the_encoded_block_is_what_openssl_signs(hash_name: str, openssl_key, key) -> None:
    # s ** e mod n recovers the block OpenSSL built; ours must equal it byte for byte
    signature = openssl_key.sign(b"message", padding.PKCS1v15(), HASHES[hash_name])
    recovered = pow(int.from_bytes(signature, "big"), key.e, key.n).to_bytes(256, "big")
    assert rsa.encode_pkcs1_v1_5(b"message", 256, hash_name) == recovered


@pytest.mark.parametrize("hash_name, oid_tail", [("sha256", 1), ("sha384", 2), ("sha512", 3)])
def test_digest_info_prefixes_are_the_der_of_the_hash_oids(hash_name: str, oid_tail: int) -> None:
    # id-sha256 etc. are 2.16.840.1.101.3.4.2.{1,2,3}: 60 86 48 01 65 03 04 02 0x
    oid = bytes([0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, oid_tail])
    algorithm = bytes([0x30, len(oid) + 2]) + oid + b"\x05\x00"
    digest_length = hashlib.new(hash_name).digest_size
    inner = algorithm + bytes([0x04, digest_length])
    expected = bytes([0x30, len(inner) + digest_length]) + inner
    assert rsa.DIGEST_INFO_PREFIXES[hash_name] == expected


def test_a_key_too_small_for_the_hash_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        rsa.encode_pkcs1_v1_5(b"x", 64, "sha512")


def test_an_unknown_hash_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="sha256"):
        rsa.encode_pkcs1_v1_5(b"x", 256, "md5")


# -- §8.2: RSASSA-PKCS1-v1_5 ------------------------------------------------------------------


@pytest.mark.parametrize("hash_name", sorted(HASHES))
def test_signatures_are_byte_identical_to_openssls(hash_name: str, openssl_key, key) -> None:
    theirs = openssl_key.sign(b"hello", padding.PKCS1v15(), HASHES[hash_name])
    assert rsa.sign(key, b"hello", hash_name) == theirs
    assert rsa.verify(key.public_key(), b"hello", theirs, hash_name)


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=300), position=st.integers(min_value=0, max_value=255))
def test_any_message_verifies_and_any_flipped_byte_does_not(
    key, message: bytes, position: int
) -> None:
    signature = rsa.sign(key, message)
    assert rsa.verify(key.public_key(), message, signature)
    tampered = bytearray(signature)
    tampered[position] ^= 0x01
    assert not rsa.verify(key.public_key(), message, bytes(tampered))
    assert not rsa.verify(key.public_key(), message + b"!", signature)


def test_malformed_signatures_are_invalid_not_errors(key) -> None:
    public = key.public_key()
    assert not rsa.verify(public, b"m", b"")
    assert not rsa.verify(public, b"m", b"\x00" * 255)  # one octet short
    assert not rsa.verify(public, b"m", b"\xff" * 256)  # a number >= n
    assert not rsa.verify(public, b"m", rsa.sign(key, b"m") + b"\x00")


def test_a_signature_under_another_hash_does_not_verify(key) -> None:
    assert not rsa.verify(key.public_key(), b"m", rsa.sign(key, b"m", "sha384"), "sha256")


# -- keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"n": 10, "e": 3}, "odd"),
        ({"n": 35, "e": 4}, "public exponent"),
        ({"n": 35, "e": 1}, "public exponent"),
    ],
)
def test_public_keys_with_impossible_numbers_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rsa.RsaPublicKey(**fields)


def test_crt_values_come_all_or_none(key) -> None:
    with pytest.raises(ValueError, match="all of p, q"):
        rsa.RsaPrivateKey(key.n, key.e, key.d, p=key.p)
    with pytest.raises(ValueError, match="p \\* q != n"):
        rsa.RsaPrivateKey(key.n, key.e, key.d, key.p, key.p, key.dp, key.dq, key.qi)


# -- key generation -------------------------------------------------------------------------------


@pytest.mark.parametrize("prime", [2, 3, 5, 7919, 2**61 - 1, 2**127 - 1])
def test_known_primes_are_probable_primes(prime: int) -> None:
    assert rsa.is_probable_prime(prime)


@pytest.mark.parametrize(
    "composite",
    [0, 1, 4, 561, 41041, 825265, 321197185, 2**61 + 1, (2**61 - 1) * (2**31 - 1), 7919 * 7919],
)
def test_composites_including_carmichael_numbers_are_not(composite: int) -> None:
    assert not rsa.is_probable_prime(composite)


def test_generated_keys_are_accepted_by_openssl_and_interoperate() -> None:
    key = rsa.generate_private_key(1024)
    assert key.n.bit_length() == 1024 and key.e == 65537
    openssl_key = to_cryptography(key)  # raises if the numbers do not form a key
    signature = rsa.sign(key, b"made here")
    openssl_key.public_key().verify(signature, b"made here", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        openssl_key.public_key().verify(
            signature, b"made there", padding.PKCS1v15(), hashes.SHA256()
        )


def test_key_sizes_that_are_too_small_or_odd_are_refused() -> None:
    with pytest.raises(ValueError, match="even and >= 512"):
        rsa.generate_private_key(256)
    with pytest.raises(ValueError, match="even and >= 512"):
        rsa.generate_private_key(1025)
