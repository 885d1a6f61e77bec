"""RSA signatures from the integers up: RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).

An RSA public key is a pair (n, e): n is the product of two large primes p
and q, e is a small odd exponent (almost always 65537). The private key adds
d, the inverse of e modulo lcm(p - 1, q - 1), so that for any m < n

    (m ** e) ** d  ≡  m   (mod n)

Signing raises a number to d, verifying raises it back to e (RFC 8017 §5.2:
the primitives RSASP1 and RSAVP1). Python's three-argument ``pow`` does the
modular exponentiation, and ``pow(e, -1, m)`` the modular inverse.

What is signed is not the message but an encoding of its hash, EMSA-PKCS1-v1_5
(§9.2): the bytes 00 01, then FF padding, then 00, then a DER DigestInfo that
names the hash function and carries the digest:

    EM = 00 01 FF FF ... FF 00 || DigestInfo(hash algorithm, H(message))

Choices made here, each a lesson:

- Verification re-encodes the expected EM and compares it with the whole
  recovered block (§8.2.2 step 3). Parsing the recovered block instead, and
  forgetting to check that the padding fills it, is how Bleichenbacher's 2006
  forgery of e = 3 signatures worked; comparing whole blocks leaves nothing to
  forget.
- Signing uses the Chinese Remainder Theorem when p, q, dp, dq, qi are known
  (§5.1.2 step 2b): two exponentiations with half-size numbers, about three
  times faster than one with d.
- Signing multiplies the message by r ** e for a random r before the private
  exponentiation and divides the result by r afterwards ("blinding"), so the
  time it takes does not follow the message. The pure-Python arithmetic is
  still not constant-time: this module teaches, a C library such as OpenSSL
  is what a bank uses.
- Every signature is checked with the public key before it is returned: a
  fault during a CRT half (a flipped bit) would otherwise leak a factor of n
  (the Bellcore attack, Boneh-DeMillo-Lipton 1997).
- Key generation draws random odd numbers of the right size and keeps those
  that pass Miller-Rabin; the top two bits are set so that n has exactly the
  requested number of bits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

# DER encoding of DigestInfo up to (not including) the digest, RFC 8017 §9.2 note 1.
# Each reads: SEQUENCE { SEQUENCE { OID of the hash, NULL }, OCTET STRING (digest length) }.
DIGEST_INFO_PREFIXES = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}

MILLER_RABIN_ROUNDS = 64  # a composite survives each round with probability <= 1/4


def _odd_primes_below(limit: int) -> list[int]:
    # trial division is plenty for a table of a few hundred entries
    return [
        number
        for number in range(3, limit, 2)
        if all(number % divisor for divisor in range(3, math.isqrt(number) + 1, 2))
    ]


# dividing by these first rejects most candidates before the costly Miller-Rabin rounds
SMALL_PRIMES = _odd_primes_below(2000)


@dataclass(frozen=True)
class RsaPublicKey:
    """The public half of an RSA key: modulus ``n`` and public exponent ``e``."""

    n: int
    e: int

    def __post_init__(self) -> None:
        if self.n < 3 or self.n % 2 == 0:
            raise ValueError("RSA modulus n must be an odd number > 2 (the product of two primes)")
        if self.e < 3 or self.e % 2 == 0 or self.e >= self.n:
            raise ValueError(f"RSA public exponent e must be odd, >= 3 and < n, got {self.e}")

    @property
    def size_in_bytes(self) -> int:
        """k in RFC 8017: the length in octets of the modulus, and of every signature."""
        return (self.n.bit_length() + 7) // 8


@dataclass(frozen=True)
class RsaPrivateKey:
    """An RSA private key: n, e, d, and the CRT values when they are known.

    p, q, dp, dq, qi are either all given or all None (RFC 7518 §6.3.2: the
    "other primes" form of multi-prime RSA is not supported).
    """

    n: int
    e: int
    d: int
    p: int | None = None
    q: int | None = None
    dp: int | None = None
    dq: int | None = None
    qi: int | None = None

    def __post_init__(self) -> None:
        RsaPublicKey(self.n, self.e)  # the same rules for n and e
        if not 0 < self.d < self.n:
            raise ValueError("RSA private exponent d must be between 0 and n")
        crt_values = (self.p, self.q, self.dp, self.dq, self.qi)
        given = [value is not None for value in crt_values]
        if any(given) and not all(given):
            raise ValueError("give all of p, q, dp, dq, qi (the CRT values) or none of them")
        if all(given) and self.p * self.q != self.n:
            raise ValueError("RSA key is inconsistent: p * q != n")

    @property
    def has_crt_values(self) -> bool:
        return self.p is not None

    @property
    def size_in_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8

    def public_key(self) -> RsaPublicKey:
        return RsaPublicKey(self.n, self.e)


# -- conversions between octet strings and integers (RFC 8017 §4) ---------------------------


def integer_to_octets(number: int, length: int) -> bytes:
    """I2OSP: ``number`` as big-endian bytes, exactly ``length`` long."""
    if number >= 256**length:
        raise ValueError(f"integer too large to fit in {length} octets")
    return number.to_bytes(length, "big")


def octets_to_integer(octets: bytes) -> int:
    """OS2IP: big-endian bytes to a non-negative integer."""
    return int.from_bytes(octets, "big")


# -- the primitives (RFC 8017 §5.2) ----------------------------------------------------------


def signature_primitive(key: RsaPrivateKey, message_representative: int) -> int:
    """RSASP1: m ** d mod n, blinded, with CRT when possible, checked before it is returned."""
    if not 0 <= message_representative < key.n:
        raise ValueError("message representative out of range")
    blinding_factor = _random_unit(key.n)
    blinded = message_representative * pow(blinding_factor, key.e, key.n) % key.n
    if key.has_crt_values:
        blinded_signature = _crt_exponentiation(key, blinded)
    else:
        blinded_signature = pow(blinded, key.d, key.n)
    signature = blinded_signature * pow(blinding_factor, -1, key.n) % key.n
    if pow(signature, key.e, key.n) != message_representative:
        raise ArithmeticError("RSA signature failed its self-check: the private key is corrupt")
    return signature


def verification_primitive(key: RsaPublicKey, signature_representative: int) -> int:
    """RSAVP1: s ** e mod n."""
    if not 0 <= signature_representative < key.n:
        raise ValueError("signature representative out of range")
    return pow(signature_representative, key.e, key.n)


def _crt_exponentiation(key: RsaPrivateKey, number: int) -> int:
    # RFC 8017 §5.1.2 step 2b, for two primes.
    first_half = pow(number % key.p, key.dp, key.p)
    second_half = pow(number % key.q, key.dq, key.q)
    difference = (first_half - second_half) * key.qi % key.p
    return second_half + key.q * difference


def _random_unit(modulus: int) -> int:
    while True:
        candidate = secrets.randbelow(modulus - 2) + 2
        if math.gcd(candidate, modulus) == 1:
            return candidate


# -- the encoding and the signature scheme (RFC 8017 §9.2 and §8.2) ---------------------------


def encode_pkcs1_v1_5(message: bytes, length: int, hash_name: str) -> bytes:
    """EMSA-PKCS1-v1_5-ENCODE: the ``length``-octet block that gets signed."""
    try:
        prefix = DIGEST_INFO_PREFIXES[hash_name]
    except KeyError:
        raise ValueError(
            f"unsupported hash {hash_name!r}: choose one of {sorted(DIGEST_INFO_PREFIXES)}"
        ) from None
    digest_info = prefix + hashlib.new(hash_name, message).digest()
    padding_length = length - len(digest_info) - 3
    if padding_length < 8:
        raise ValueError("intended encoded message length too short: the RSA key is too small")
    return b"\x00\x01" + b"\xff" * padding_length + b"\x00" + digest_info


def sign(key: RsaPrivateKey, message: bytes, hash_name: str = "sha256") -> bytes:
    """RSASSA-PKCS1-V1_5-SIGN (§8.2.1): the signature, exactly k octets long."""
    length = key.size_in_bytes
    encoded = encode_pkcs1_v1_5(message, length, hash_name)
    signature = signature_primitive(key, octets_to_integer(encoded))
    return integer_to_octets(signature, length)


def verify(key: RsaPublicKey, message: bytes, signature: bytes, hash_name: str = "sha256") -> bool:
    """RSASSA-PKCS1-V1_5-VERIFY (§8.2.2): True when ``signature`` signs ``message``.

    Any malformed signature (wrong length, a number >= n) is simply invalid:
    the answer is False, never an exception.
    """
    length = key.size_in_bytes
    if len(signature) != length:
        return False
    signature_representative = octets_to_integer(signature)
    if signature_representative >= key.n:
        return False
    recovered = integer_to_octets(verification_primitive(key, signature_representative), length)
    expected = encode_pkcs1_v1_5(message, length, hash_name)
    return hmac.compare_digest(recovered, expected)


# -- key generation ---------------------------------------------------------------------------


def is_probable_prime(candidate: int, rounds: int = MILLER_RABIN_ROUNDS) -> bool:
    """Miller-Rabin: False means composite for sure, True means prime but for 4 ** -rounds."""
    if candidate < 2:
        return False
    for small_prime in [2, *SMALL_PRIMES]:
        if candidate % small_prime == 0:
            return candidate == small_prime
    # write candidate - 1 as 2**shift * odd_part
    odd_part, shift = candidate - 1, 0
    while odd_part % 2 == 0:
        odd_part //= 2
        shift += 1
    for _ in range(rounds):
        witness = secrets.randbelow(candidate - 3) + 2
        value = pow(witness, odd_part, candidate)
        if value in (1, candidate - 1):
            continue
        for _ in range(shift - 1):
            value = value * value % candidate
            if value == candidate - 1:
                break
        else:
            return False
    return True


def generate_prime(bits: int, public_exponent: int = 65537) -> int:
    """A random prime of exactly ``bits`` bits with the top two set and gcd(p - 1, e) = 1."""
    while True:
        candidate = secrets.randbits(bits) | (0b11 << (bits - 2)) | 1
        if math.gcd(candidate - 1, public_exponent) == 1 and is_probable_prime(candidate):
            return candidate


def generate_private_key(bits: int = 2048, public_exponent: int = 65537) -> RsaPrivateKey:
    """A new RSA key with a ``bits``-bit modulus (JWT needs >= 2048, RFC 7518 §3.3)."""
    if bits < 512 or bits % 2:
        raise ValueError(f"key size must be even and >= 512 bits, got {bits}")
    while True:
        p = generate_prime(bits // 2, public_exponent)
        q = generate_prime(bits // 2, public_exponent)
        # p and q this close would let Fermat's method factor n: draw again
        if abs(p - q).bit_length() > bits // 2 - 100:
            break
    if p < q:
        p, q = q, p  # conventional order, so that qi = q ** -1 mod p
    carmichael = math.lcm(p - 1, q - 1)
    d = pow(public_exponent, -1, carmichael)
    return RsaPrivateKey(
        n=p * q,
        e=public_exponent,
        d=d,
        p=p,
        q=q,
        dp=d % (p - 1),
        dq=d % (q - 1),
        qi=pow(q, -1, p),
    )


__all__ = [
    "RsaPrivateKey",
    "RsaPublicKey",
    "encode_pkcs1_v1_5",
    "generate_private_key",
    "generate_prime",
    "integer_to_octets",
    "is_probable_prime",
    "octets_to_integer",
    "sign",
    "signature_primitive",
    "verification_primitive",
    "verify",
]
