"""miniauth.jwt against PyJWT: HS256 encode and decode, RS256 sign and verify, in one run.

HS256 is pure Python in both libraries at the level that matters (JSON,
base64url, dict handling; the HMAC itself is OpenSSL's in both), so miniauth
aims at >= 1.0x PyJWT there. RS256 compares miniauth's pure-Python RSA (big
integers and pow()) with PyJWT on `cryptography`, which is OpenSSL in C: that
ratio shows what C buys for the private-key operation, and how little it
matters for verification, where e = 65537 keeps the exponentiation short.

Both sides get the same claims and prepared key objects (PyJWT a
`cryptography` key, miniauth an RsaPrivateKey / RsaPublicKey), and both
decoders check exp, iat, aud and iss. Cases run interleaved, each several
times; the median of the runs is reported.

    python -m benchmarks.bench_jwt           # full run
    python -m benchmarks.bench_jwt --quick   # a few seconds
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

from miniauth import jwt as minijwt
from miniauth.rsa import RsaPrivateKey

SECRET = b"a benchmark secret of at least thirty-two bytes...."
AUDIENCE = "api"
ISSUER = "https://login.example"


def _claims() -> dict:
    now = int(time.time())
    return {
        "sub": "user-42",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 900,
        "scope": "read write",
        "jti": "5f0c8b6e-8c1d-4c39-9a55-0f0d3c6c7e21",
    }


def _keys() -> tuple[crypto_rsa.RSAPrivateKey, RsaPrivateKey]:
    openssl_key = crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = openssl_key.private_numbers()
    mini_key = RsaPrivateKey(
        numbers.public_numbers.n,
        numbers.public_numbers.e,
        numbers.d,
        numbers.p,
        numbers.q,
        numbers.dmp1,
        numbers.dmq1,
        numbers.iqmp,
    )
    return openssl_key, mini_key


def _cases() -> list[tuple[str, str, Callable[[], object], int]]:
    """(case, impl, zero-argument operation, operations per timed batch)."""
    claims = _claims()
    openssl_key, mini_key = _keys()
    openssl_public, mini_public = openssl_key.public_key(), mini_key.public_key()
    hs_mini = minijwt.encode(claims, SECRET)
    hs_pyjwt = pyjwt.encode(claims, SECRET, "HS256")
    rs_mini = minijwt.encode(claims, mini_key, "RS256")
    rs_pyjwt = pyjwt.encode(claims, openssl_key, "RS256")
    check = {"audience": AUDIENCE, "issuer": ISSUER}
    return [
        ("HS256 encode", "miniauth", lambda: minijwt.encode(claims, SECRET), 4000),
        ("HS256 encode", "pyjwt", lambda: pyjwt.encode(claims, SECRET, "HS256"), 4000),
        (
            "HS256 decode",
            "miniauth",
            lambda: minijwt.decode(hs_mini, SECRET, ["HS256"], **check),
            4000,
        ),
        ("HS256 decode", "pyjwt", lambda: pyjwt.decode(hs_pyjwt, SECRET, ["HS256"], **check), 4000),
        ("RS256 sign", "miniauth", lambda: minijwt.encode(claims, mini_key, "RS256"), 40),
        ("RS256 sign", "pyjwt", lambda: pyjwt.encode(claims, openssl_key, "RS256"), 200),
        (
            "RS256 verify",
            "miniauth",
            lambda: minijwt.decode(rs_mini, mini_public, ["RS256"], **check),
            400,
        ),
        (
            "RS256 verify",
            "pyjwt",
            lambda: pyjwt.decode(rs_pyjwt, openssl_public, ["RS256"], **check),
            1000,
        ),
    ]


def _time_batch(operation: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        operation()
    return count / (time.perf_counter() - start)


def run(quick: bool = False) -> list[dict]:
    """Rows {"case", "impl", "ops_per_sec", "runs"}: the median over the runs."""
    runs = 3 if quick else 7
    scale = 0.2 if quick else 1.0
    cases = _cases()
    samples: dict[tuple[str, str], list[float]] = {(case, impl): [] for case, impl, _, _ in cases}
    for _ in range(runs):
        for case, impl, operation, count in cases:  # interleaved: both sides see the same noise
            samples[case, impl].append(_time_batch(operation, max(5, int(count * scale))))
    return [
        {"case": case, "impl": impl, "ops_per_sec": statistics.median(values), "runs": runs}
        for (case, impl), values in samples.items()
    ]


def main(argv: list[str]) -> None:
    rows = run(quick="--quick" in argv)
    by_case: dict[str, dict[str, float]] = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["impl"]] = row["ops_per_sec"]
    print(f"{'case':<14} {'miniauth ops/s':>15} {'pyjwt ops/s':>13} {'ratio':>7}")
    for case, results in by_case.items():
        ratio = results["miniauth"] / results["pyjwt"]
        print(f"{case:<14} {results['miniauth']:>15,.0f} {results['pyjwt']:>13,.0f} {ratio:>6.2f}x")
    print(f"(median of {rows[0]['runs']} runs; ratio = miniauth / pyjwt, > 1 is faster)")


if __name__ == "__main__":
    main(sys.argv[1:])
