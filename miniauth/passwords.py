"""Password hashes with scrypt (RFC 7914), stored as one self-describing string.

A server never stores a password, only a slow, salted hash of it. Salted,
so that equal passwords hash differently and a precomputed table is useless;
slow, so that an attacker who steals the table pays for every guess. scrypt
is slow in memory as well as time (128 * n * r bytes per hash), which is what
makes guessing on graphics cards expensive. ``hashlib.scrypt`` (OpenSSL) does
the work.

The stored string says everything needed to check a password later:

    scrypt$n=16384,r=8,p=1$<salt, base64>$<hash, base64>

so the parameters can be raised over the years: ``needs_rehash(stored)`` is
True when a stored hash was made with other parameters than today's, and the
login code then stores a fresh hash of the password it just verified.

Choices made here:

- Passwords are normalized to Unicode NFC first (RFC 8265 §4.2, the
  OpaqueString profile), so "é" typed as one code point or as "e" plus an
  accent is the same password. Bytes are hashed as given.
- Any length is fine (scrypt takes the password as input to PBKDF2, which
  hashes long inputs); an empty password hashes too: whether it is allowed
  is the caller's policy, not this module's.
- The comparison is constant-time (``hmac.compare_digest``).
- A malformed stored string raises ValueError saying what is wrong: it is a
  bug or corrupt data, not a wrong password, and must not pass as False.
  Parameters in a stored string are capped, so a tampered row cannot make
  the server allocate gigabytes.
- The defaults n=2**14, r=8, p=1 are the classic interactive-login settings
  from the scrypt paper; they cost 16 MiB and tens of milliseconds per hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import unicodedata

ALGORITHM = "scrypt"
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# Limits on what a stored string may ask for: 2**20 * 8 * 128 bytes is already 1 GiB.
MAXIMUM_N = 2**20
MAXIMUM_R = 32
MAXIMUM_P = 16

_STORED_FORMAT = re.compile(
    r"scrypt\$n=(?P<n>[0-9]+),r=(?P<r>[0-9]+),p=(?P<p>[0-9]+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)"
)


def hash_password(
    password: str | bytes, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P
) -> str:
    """A new salted scrypt hash of ``password``, as a string to store."""
    _check_parameters(n, r, p)
    salt = secrets.token_bytes(SALT_BYTES)
    derived = _scrypt(_password_bytes(password), salt, n, r, p, HASH_BYTES)
    return f"{ALGORITHM}$n={n},r={r},p={p}${_b64(salt)}${_b64(derived)}"


def verify_password(password: str | bytes, stored: str) -> bool:
    """True when ``password`` is the one ``stored`` was made from.

    Raises ValueError when ``stored`` is not a hash this module wrote.
    """
    n, r, p, salt, expected = _parse(stored)
    derived = _scrypt(_password_bytes(password), salt, n, r, p, len(expected))
    return hmac.compare_digest(derived, expected)


def needs_rehash(
    stored: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P
) -> bool:
    """True when ``stored`` was made with other parameters than the current ones.

    Call it after a successful ``verify_password``: the plain password is at
    hand then, and hashing it again upgrades the stored row.
    """
    stored_n, stored_r, stored_p, salt, derived = _parse(stored)
    return (stored_n, stored_r, stored_p) != (n, r, p) or len(derived) != HASH_BYTES


def _password_bytes(password: str | bytes) -> bytes:
    if isinstance(password, bytes):
        return password
    if not isinstance(password, str):
        raise TypeError(f"a password is str or bytes, got {type(password).__name__}")
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # OpenSSL refuses to use more than maxmem bytes; allow what these parameters need
    memory_needed = 128 * r * (n + p + 2)
    return hashlib.scrypt(
        password, salt=salt, n=n, r=r, p=p, dklen=length, maxmem=memory_needed + 1024 * 1024
    )


def _check_parameters(n: int, r: int, p: int) -> None:
    if n < 2 or n & (n - 1) or n > MAXIMUM_N:
        raise ValueError(f"scrypt n must be a power of two between 2 and {MAXIMUM_N}, got {n}")
    if not 1 <= r <= MAXIMUM_R:
        raise ValueError(f"scrypt r must be between 1 and {MAXIMUM_R}, got {r}")
    if not 1 <= p <= MAXIMUM_P:
        raise ValueError(f"scrypt p must be between 1 and {MAXIMUM_P}, got {p}")


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    if not isinstance(stored, str):
        raise ValueError(f"a stored password hash is a str, got {type(stored).__name__}")
    match = _STORED_FORMAT.fullmatch(stored)
    if match is None:
        raise ValueError(
            f"not a password hash made by hash_password: expected "
            f"'scrypt$n=<n>,r=<r>,p=<p>$<salt>$<hash>', got {stored[:40]!r}"
        )
    n, r, p = int(match["n"]), int(match["r"]), int(match["p"])
    try:
        _check_parameters(n, r, p)
    except ValueError as error:
        raise ValueError(f"stored password hash has unacceptable parameters: {error}") from None
    try:
        salt, derived = _unb64(match["salt"]), _unb64(match["hash"])
    except binascii.Error as error:
        raise ValueError(f"stored password hash has a corrupt salt or hash: {error}") from None
    if len(derived) < 16:
        raise ValueError("stored password hash is too short to be one made by hash_password")
    return n, r, p, salt, derived


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


__all__ = ["hash_password", "needs_rehash", "verify_password"]
