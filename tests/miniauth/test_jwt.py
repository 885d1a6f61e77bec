"""miniauth.jwt, specified by RFC 7515 (JWS), RFC 7518 (JWA), RFC 7519 (JWT) and RFC 8725.

Time is always passed as ``now=``: no test reads the clock or sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniauth import errors, jwk, rsa
from miniauth.jwt import (
    InsecureKeyLengthWarning,
    decode,
    decode_complete,
    encode,
    get_unverified_header,
)

SECRET = b"k" * 64  # long enough for HS512 (RFC 7518 §3.2)
NOW = 1_700_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_raw(header: bytes, payload: bytes, key: bytes = SECRET) -> str:
    """A token built without miniauth: any header and payload bytes, HS256-signed."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def handmade_token(header: object, payload: object, key: bytes = SECRET) -> str:
    """A token built without miniauth, HS256-signed, from any JSON header and payload."""
    return signed_raw(json.dumps(header).encode(), json.dumps(payload).encode(), key)


@pytest.fixture(scope="module")
def rsa_private_jwk() -> dict:
    private = crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.private_numbers()
    key = rsa.RsaPrivateKey(
        n=numbers.public_numbers.n,
        e=numbers.public_numbers.e,
        d=numbers.d,
        p=numbers.p,
        q=numbers.q,
        dp=numbers.dmp1,
        dq=numbers.dmq1,
        qi=numbers.iqmp,
    )
    return jwk.jwk_from_rsa_key(key)


@pytest.fixture(scope="module")
def rsa_public_jwk(rsa_private_jwk: dict) -> dict:
    return jwk.public_jwk(rsa_private_jwk)


# -- RFC 7515 Appendix A: the published examples verify exactly ------------------------------

RFC7515_A1_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC7515_A1_KEY = {
    "kty": "oct",
    "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
}
RFC7515_A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5j"
    "ujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L0"
    "7Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUip"
    "UTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
RFC7515_A2_KEY = {
    "kty": "RSA",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0"
    "Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5r"
    "exMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXF"
    "vUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
    "e": "AQAB",
    "d": "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2"
    "NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V5"
    "1gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3cc"
    "PDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
    "p": "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py"
    "5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
    "q": "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQ"
    "eZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
    "dp": "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOK"
    "nu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
    "dq": "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U"
    "0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
    "qi": "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5"
    "cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
}
RFC7515_EXAMPLE_CLAIMS = {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
BEFORE_THE_EXAMPLES_EXPIRE = 1300819380 - 60


class TestRFC7515AppendixA:
    def test_a1_hs256_example_verifies_and_gives_its_claims(self) -> None:
        claims = decode(RFC7515_A1_TOKEN, RFC7515_A1_KEY, ["HS256"], now=BEFORE_THE_EXAMPLES_EXPIRE)
        assert claims == RFC7515_EXAMPLE_CLAIMS
        assert get_unverified_header(RFC7515_A1_TOKEN) == {"typ": "JWT", "alg": "HS256"}

    def test_a1_hs256_example_is_expired_today(self) -> None:
        with pytest.raises(errors.ExpiredSignatureError, match="2011-03-22T18:43:00Z"):
            decode(RFC7515_A1_TOKEN, RFC7515_A1_KEY, ["HS256"], now=NOW)

    def test_a2_rs256_example_verifies_with_its_public_key(self) -> None:
        public = jwk.public_jwk(RFC7515_A2_KEY)
        claims = decode(RFC7515_A2_TOKEN, public, ["RS256"], now=BEFORE_THE_EXAMPLES_EXPIRE)
        assert claims == RFC7515_EXAMPLE_CLAIMS

    def test_a2_signature_is_reproduced_byte_for_byte_by_signing(self) -> None:
        signing_input, _, signature = RFC7515_A2_TOKEN.rpartition(".")
        private_key = jwk.rsa_key_from_jwk(RFC7515_A2_KEY)
        ours = rsa.sign(private_key, signing_input.encode(), "sha256")
        assert jwk.base64url_encode(ours) == signature

    def test_a2_example_with_one_changed_payload_byte_is_refused(self) -> None:
        header, payload, signature = RFC7515_A2_TOKEN.split(".")
        tampered_payload = b64(jwk.base64url_decode(payload).replace(b"joe", b"eve"))
        with pytest.raises(errors.InvalidSignatureError):
            decode(
                f"{header}.{tampered_payload}.{signature}",
                jwk.public_jwk(RFC7515_A2_KEY),
                ["RS256"],
                now=BEFORE_THE_EXAMPLES_EXPIRE,
            )


# -- RFC 7515 §7.1: the compact serialization ------------------------------------------------


class TestCompactSerialization:
    def test_a_token_round_trips_its_claims(self) -> None:
        token = encode({"sub": "42", "name": "Zoë"}, SECRET)
        assert decode(token, SECRET, ["HS256"], now=NOW) == {"sub": "42", "name": "Zoë"}

    def test_header_carries_alg_typ_and_extra_headers(self) -> None:
        token = encode({"sub": "42"}, SECRET, headers={"kid": "2024-01"})
        assert get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", "kid": "2024-01"}

    def test_decode_complete_returns_header_payload_and_signature(self) -> None:
        token = encode({"sub": "42"}, SECRET, "HS384")
        complete = decode_complete(token, SECRET, ["HS384"], now=NOW)
        assert complete["header"]["alg"] == "HS384"
        assert complete["payload"] == {"sub": "42"}
        assert len(complete["signature"]) == 48

    def test_bytes_tokens_are_accepted_like_str(self) -> None:
        token = encode({"sub": "42"}, SECRET)
        assert decode(token.encode(), SECRET, ["HS256"], now=NOW) == {"sub": "42"}

    @pytest.mark.parametrize(
        "token, message",
        [
            ("", "three base64url segments"),
            ("abc", "three base64url segments"),
            ("a.b", "this one has 2"),
            ("a.b.c.d.e", "JWE"),
            ("!!!.e30.", "header is not base64url"),
            ("e30=.e30.", "header is not base64url"),
            ("e30.e30.", 'needs "alg"'),
            (f"{b64(b'[1]')}.e30.", "must be a JSON object"),
            (f"{b64(b'not json')}.e30.", "not base64url-encoded JSON"),
            (f"{b64(bytes([0xFF, 0xFE]))}.e30.", "not base64url-encoded JSON"),
            (b64(b'{"alg":NaN}') + ".e30.", "NaN is not JSON"),
            (b64(b'{"alg":"HS256","x":Infinity}') + ".e30.", "Infinity is not JSON"),
        ],
    )
    def test_malformed_tokens_raise_decode_error_saying_what_is_wrong(
        self, token: str, message: str
    ) -> None:
        with pytest.raises(errors.DecodeError, match=message):
            decode(token, SECRET, ["HS256"], now=NOW)

    def test_padding_on_the_signature_is_refused(self) -> None:
        token = encode({"sub": "42"}, SECRET) + "="
        with pytest.raises(errors.DecodeError, match="signature is not base64url"):
            decode(token, SECRET, ["HS256"], now=NOW)

    def test_a_non_canonical_signature_spelling_is_refused(self) -> None:
        # the last character of a 43-character segment carries 2 unused bits
        token = encode({"sub": "42"}, SECRET)
        last = token[-1]
        alphabet = jwk.BASE64URL_ALPHABET
        twin = alphabet[alphabet.index(last) | 1]
        with pytest.raises(errors.DecodeError, match="not canonical"):
            decode(token[:-1] + twin, SECRET, ["HS256"], now=NOW)

    def test_a_truncated_token_is_refused(self) -> None:
        token = encode({"sub": "42"}, SECRET)
        with pytest.raises(errors.InvalidTokenError):
            decode(token[:-5], SECRET, ["HS256"], now=NOW)

    def test_deeply_nested_json_is_a_decode_error_not_a_recursion_error(self) -> None:
        header = b64(b'{"alg":"HS256"}')
        payload = b64(b"[" * 100_000 + b"]" * 100_000)
        with pytest.raises(errors.DecodeError):
            decode(f"{header}.{payload}.", options={"verify_signature": False})

    def test_a_token_that_is_not_text_is_a_decode_error(self) -> None:
        with pytest.raises(errors.DecodeError, match="got int"):
            decode(12345, SECRET, ["HS256"])  # type: ignore[arg-type]
        with pytest.raises(errors.DecodeError, match="ASCII"):
            decode("é.é.é".encode(), SECRET, ["HS256"])

    def test_encode_refuses_a_payload_that_is_not_a_mapping(self) -> None:
        with pytest.raises(TypeError, match="JSON objects"):
            encode(["sub"], SECRET)  # type: ignore[arg-type]

    def test_encode_refuses_nan_rather_than_writing_invalid_json(self) -> None:
        with pytest.raises(ValueError):
            encode({"score": float("nan")}, SECRET)

    def test_a_custom_json_encoder_writes_other_types(self) -> None:
        import uuid

        class UUIDEncoder(json.JSONEncoder):
            def default(self, value):
                return str(value) if isinstance(value, uuid.UUID) else super().default(value)

        identifier = uuid.UUID(int=7)
        token = encode({"sub": identifier}, SECRET, json_encoder=UUIDEncoder)
        assert decode(token, SECRET, ["HS256"], now=NOW) == {"sub": str(identifier)}
        with pytest.raises(TypeError, match="not JSON serializable"):
            encode({"sub": identifier}, SECRET)

    def test_encode_turns_aware_datetimes_into_numeric_dates(self) -> None:
        expires = datetime.fromtimestamp(NOW + 60, UTC)
        token = encode({"exp": expires}, SECRET)
        assert decode(token, SECRET, ["HS256"], now=NOW) == {"exp": NOW + 60}
        with pytest.raises(ValueError, match="timezone"):
            encode({"exp": datetime(2030, 1, 1)}, SECRET)

    def test_encode_refuses_an_alg_header_that_contradicts_algorithm(self) -> None:
        with pytest.raises(ValueError, match="algorithm="):
            encode({}, SECRET, "HS256", headers={"alg": "RS256"})


# -- RFC 7515 §4.1.11: crit, and the other header parameters ---------------------------------


class TestHeaderParameters:
    def test_a_critical_extension_is_refused(self) -> None:
        token = handmade_token({"alg": "HS256", "crit": ["b64"], "b64": False}, {"sub": "1"})
        with pytest.raises(errors.InvalidTokenError, match="critical"):
            decode(token, SECRET, ["HS256"], now=NOW)
        with pytest.raises(errors.InvalidTokenError, match="critical"):
            get_unverified_header(token)

    def test_a_kid_that_is_not_a_string_is_refused(self) -> None:
        token = handmade_token({"alg": "HS256", "kid": 7}, {"sub": "1"})
        with pytest.raises(errors.InvalidTokenError, match="kid"):
            get_unverified_header(token)

    def test_an_alg_that_is_not_a_string_is_a_decode_error(self) -> None:
        token = handmade_token({"alg": ["HS256"]}, {"sub": "1"})
        with pytest.raises(errors.DecodeError, match="alg"):
            decode(token, SECRET, ["HS256"], now=NOW)


# -- RFC 8725 §3.1 and RFC 7518 §3.6: algorithm verification ---------------------------------


class TestAlgorithmChoice:
    def test_algorithms_is_required(self) -> None:
        token = encode({"sub": "1"}, SECRET)
        with pytest.raises(errors.DecodeError, match="needs algorithms="):
            decode(token, SECRET)
        with pytest.raises(errors.DecodeError, match="needs algorithms="):
            decode(token, SECRET, [])

    def test_algorithms_may_be_any_iterable_even_a_generator(self) -> None:
        token = encode({"sub": "1"}, SECRET)
        allowed = (name for name in ["HS256"])
        assert decode(token, SECRET, allowed, now=NOW) == {"sub": "1"}

    def test_algorithms_as_a_bare_string_is_a_caller_error(self) -> None:
        token = encode({"sub": "1"}, SECRET)
        with pytest.raises(TypeError, match=r"\['HS256'\]"):
            decode(token, SECRET, "HS256")

    @pytest.mark.parametrize("spelling", ["none", "None", "NONE"])
    def test_unsecured_tokens_are_never_accepted(self, spelling: str) -> None:
        header = b64(json.dumps({"alg": spelling, "typ": "JWT"}).encode())
        token = header + "." + b64(b'{"sub":"admin"}') + "."
        with pytest.raises(errors.InvalidAlgorithmError, match="unsecured"):
            decode(token, SECRET, ["HS256"], now=NOW)
        with pytest.raises(errors.InvalidAlgorithmError):
            decode(token, SECRET, ["HS256", spelling], now=NOW)

    def test_none_cannot_be_used_to_encode(self) -> None:
        with pytest.raises(errors.InvalidAlgorithmError, match="never"):
            encode({"sub": "1"}, SECRET, "none")

    def test_a_token_alg_outside_the_allowed_list_is_refused(self) -> None:
        token = encode({"sub": "1"}, SECRET, "HS512")
        with pytest.raises(errors.InvalidAlgorithmError, match="'HS512' is not among"):
            decode(token, SECRET, ["HS256"], now=NOW)

    def test_an_allowed_but_unsupported_alg_is_refused(self) -> None:
        token = handmade_token({"alg": "ES256"}, {"sub": "1"})
        with pytest.raises(errors.InvalidAlgorithmError, match="not supported"):
            decode(token, SECRET, ["ES256"], now=NOW)

    def test_encoding_with_an_unknown_algorithm_names_the_supported_ones(self) -> None:
        with pytest.raises(errors.InvalidAlgorithmError, match="HS256"):
            encode({}, SECRET, "PS256")


# -- RFC 8725 §2.1: key confusion -------------------------------------------------------------


class TestKeyMustFitAlgorithm:
    def test_an_rsa_public_jwk_is_never_an_hmac_secret(self, rsa_public_jwk: dict) -> None:
        # The attack: sign HS256 with the public key the server publishes
        forged = handmade_token(
            {"alg": "HS256"}, {"sub": "admin"}, json.dumps(rsa_public_jwk).encode()
        )
        with pytest.raises(errors.InvalidKeyError, match="algorithm-confusion"):
            decode(forged, rsa_public_jwk, ["HS256", "RS256"], now=NOW)

    def test_an_rsa_public_pem_is_never_an_hmac_secret(self, rsa_public_jwk: dict) -> None:
        public = jwk.rsa_key_from_jwk(rsa_public_jwk)
        pem = (
            crypto_rsa.RSAPublicNumbers(public.e, public.n)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        forged = handmade_token({"alg": "HS256"}, {"sub": "admin"}, pem)
        for key in (pem, pem.decode()):
            with pytest.raises(errors.InvalidKeyError, match="algorithm-confusion"):
                decode(forged, key, ["HS256", "RS256"], now=NOW)
        with pytest.raises(errors.InvalidKeyError):
            encode({"sub": "admin"}, pem, "HS256")

    def test_an_ssh_public_key_is_never_an_hmac_secret(self) -> None:
        with pytest.raises(errors.InvalidKeyError):
            encode({}, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host", "HS256")

    def test_an_rsa_key_object_is_never_an_hmac_secret(self, rsa_public_jwk: dict) -> None:
        with pytest.raises(errors.InvalidKeyError, match="RsaPublicKey"):
            encode({}, jwk.rsa_key_from_jwk(rsa_public_jwk), "HS256")

    def test_a_shared_secret_cannot_verify_rs256(self, rsa_private_jwk: dict) -> None:
        token = encode({"sub": "1"}, rsa_private_jwk, "RS256")
        with pytest.raises(errors.InvalidKeyError, match="HMAC secret"):
            decode(token, "some shared secret", ["RS256"], now=NOW)
        with pytest.raises(errors.InvalidKeyError, match="needs an RSA key"):
            decode(token, RFC7515_A1_KEY, ["RS256"], now=NOW)

    def test_signing_rs256_needs_the_private_key(self, rsa_public_jwk: dict) -> None:
        with pytest.raises(errors.InvalidKeyError, match="private key"):
            encode({}, rsa_public_jwk, "RS256")

    def test_rsa_keys_under_2048_bits_are_refused(self) -> None:
        small = rsa.generate_private_key(1024)
        with pytest.raises(errors.InvalidKeyError, match="7518 §3.3"):
            encode({}, jwk.jwk_from_rsa_key(small), "RS256")

    def test_a_jwk_pinned_to_another_algorithm_is_refused(self, rsa_private_jwk: dict) -> None:
        pinned = {**rsa_private_jwk, "alg": "RS512"}
        token = encode({"sub": "1"}, rsa_private_jwk, "RS256")
        with pytest.raises(errors.InvalidAlgorithmError, match="RS512 only"):
            decode(token, jwk.public_jwk(pinned), ["RS256"], now=NOW)

    def test_an_encryption_jwk_is_refused_for_signatures(self, rsa_public_jwk: dict) -> None:
        token = handmade_token({"alg": "RS256"}, {})
        with pytest.raises(errors.InvalidKeyError, match="use 'enc'"):
            decode(token, {**rsa_public_jwk, "use": "enc"}, ["RS256"], now=NOW)

    @pytest.mark.parametrize("empty", [b"", "", {"kty": "oct", "k": ""}])
    def test_an_empty_hmac_secret_is_refused_both_ways(self, empty) -> None:
        # An unset SECRET_KEY is often "": a token signed with it must not verify
        forged = handmade_token({"alg": "HS256"}, {"sub": "admin"}, b"")
        with pytest.raises(errors.InvalidKeyError, match="empty"):
            decode(forged, empty, ["HS256"], now=NOW)
        with pytest.raises(errors.InvalidKeyError, match="empty"):
            encode({"sub": "admin"}, empty)

    def test_short_hmac_secrets_warn_when_signing(self) -> None:
        with pytest.warns(InsecureKeyLengthWarning, match="at least 32"):
            encode({}, "short", "HS256")


# -- RFC 7515 §5.2: the signature -------------------------------------------------------------


class TestSignatureVerification:
    @pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
    def test_a_token_signed_with_another_secret_is_refused(self, algorithm: str) -> None:
        token = encode({"sub": "1"}, b"a" * 64, algorithm)
        with pytest.raises(errors.InvalidSignatureError, match="another key"):
            decode(token, b"b" * 64, [algorithm], now=NOW)

    @pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
    def test_rs_tokens_verify_with_the_public_half_only(
        self, algorithm: str, rsa_private_jwk: dict, rsa_public_jwk: dict
    ) -> None:
        token = encode({"sub": "1"}, rsa_private_jwk, algorithm)
        assert decode(token, rsa_public_jwk, [algorithm], now=NOW) == {"sub": "1"}

    def test_the_signature_is_checked_before_any_claim(self) -> None:
        # An expired token with a bad signature reports the signature, not the expiry
        token = encode({"exp": NOW - 3600}, b"a" * 32)
        with pytest.raises(errors.InvalidSignatureError):
            decode(token, b"b" * 32, ["HS256"], now=NOW)

    def test_a_forged_payload_is_never_parsed(self) -> None:
        header, _, signature = encode({"sub": "1"}, SECRET).split(".")
        nested = b64(b"[" * 100_000)  # would be a DecodeError if it were parsed
        with pytest.raises(errors.InvalidSignatureError):
            decode(f"{header}.{nested}.{signature}", SECRET, ["HS256"], now=NOW)

    def test_verify_signature_off_reads_claims_of_any_token(self) -> None:
        token = encode({"sub": "1", "exp": NOW - 10}, b"a" * 32)
        claims = decode(token, options={"verify_signature": False}, now=NOW)
        assert claims == {"sub": "1", "exp": NOW - 10}

    def test_unknown_options_are_refused_to_catch_typos(self) -> None:
        token = encode({"sub": "1"}, SECRET)
        with pytest.raises(ValueError, match="verify_expiration"):
            decode(token, SECRET, ["HS256"], options={"verify_expiration": False})


# -- RFC 7519 §4.1.4, §4.1.5, §4.1.6: exp, nbf, iat --------------------------------------------


class TestTimeClaims:
    def test_a_token_is_valid_until_the_second_before_exp(self) -> None:
        token = encode({"exp": NOW + 10}, SECRET)
        assert decode(token, SECRET, ["HS256"], now=NOW + 9.999)["exp"] == NOW + 10
        with pytest.raises(errors.ExpiredSignatureError):
            decode(token, SECRET, ["HS256"], now=NOW + 10)

    def test_the_expiry_message_gives_both_times_and_the_leeway(self) -> None:
        token = encode({"exp": 1_700_000_000}, SECRET)
        expected = (
            r"token expired at 2023-11-14T22:13:20Z \(now 2023-11-14T22:18:30Z, "
            r"leeway 30 s\): the client must log in again"
        )
        with pytest.raises(errors.ExpiredSignatureError, match=expected):
            decode(token, SECRET, ["HS256"], leeway=30, now=1_700_000_310)

    @pytest.mark.parametrize("leeway", [60, timedelta(seconds=60)])
    def test_leeway_accepts_a_token_that_expired_moments_ago(self, leeway) -> None:
        token = encode({"exp": NOW - 30}, SECRET)
        assert decode(token, SECRET, ["HS256"], leeway=leeway, now=NOW) == {"exp": NOW - 30}

    def test_a_token_used_before_nbf_is_immature(self) -> None:
        token = encode({"nbf": NOW + 100}, SECRET)
        with pytest.raises(errors.ImmatureSignatureError, match="not valid before"):
            decode(token, SECRET, ["HS256"], now=NOW)
        assert decode(token, SECRET, ["HS256"], leeway=100, now=NOW) == {"nbf": NOW + 100}

    def test_a_token_issued_in_the_future_is_immature(self) -> None:
        token = encode({"iat": NOW + 100}, SECRET)
        with pytest.raises(errors.ImmatureSignatureError, match="issued in the future"):
            decode(token, SECRET, ["HS256"], now=NOW)

    @pytest.mark.parametrize(
        "claim, error",
        [
            ("exp", errors.DecodeError),
            ("nbf", errors.DecodeError),
            ("iat", errors.InvalidIssuedAtError),
        ],
    )
    @pytest.mark.parametrize("value", ["1700000000", True, False, None, [1], {"at": 1}])
    def test_time_claims_must_be_json_numbers(self, claim: str, error: type, value) -> None:
        token = encode({claim: value}, SECRET)
        with pytest.raises(error, match="NumericDate"):
            decode(token, SECRET, ["HS256"], now=NOW)

    def test_a_number_too_large_for_a_float_is_not_a_time(self) -> None:
        token = signed_raw(b'{"alg":"HS256"}', b'{"exp":1e999}')  # json reads it as inf
        with pytest.raises(errors.DecodeError, match="NumericDate"):
            decode(token, SECRET, ["HS256"], now=NOW)

    def test_fractional_times_are_numbers_too(self) -> None:
        token = encode({"exp": NOW + 0.5}, SECRET)
        assert decode(token, SECRET, ["HS256"], now=NOW)["exp"] == NOW + 0.5

    def test_huge_expiry_times_are_compared_not_crashed_on(self) -> None:
        token = encode({"exp": 10**30}, SECRET)
        assert decode(token, SECRET, ["HS256"], now=NOW) == {"exp": 10**30}
        expired = encode({"exp": -(10**30)}, SECRET)
        with pytest.raises(errors.ExpiredSignatureError, match="after 1970"):
            decode(expired, SECRET, ["HS256"], now=NOW)

    def test_time_checks_can_be_switched_off_one_by_one(self) -> None:
        token = encode({"exp": NOW - 10, "nbf": NOW + 10, "iat": NOW + 10}, SECRET)
        options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
        assert decode(token, SECRET, ["HS256"], options=options, now=NOW)["exp"] == NOW - 10


# -- RFC 7519 §4.1.3: aud ----------------------------------------------------------------------


class TestAudience:
    @pytest.mark.parametrize("aud", ["api", ["other", "api"]])
    def test_a_token_for_us_is_accepted(self, aud) -> None:
        token = encode({"aud": aud}, SECRET)
        assert decode(token, SECRET, ["HS256"], audience="api", now=NOW)["aud"] == aud

    def test_any_of_several_expected_audiences_will_do(self) -> None:
        token = encode({"aud": "billing"}, SECRET)
        decode(token, SECRET, ["HS256"], audience=["api", "billing"], now=NOW)

    def test_a_token_for_another_audience_is_refused(self) -> None:
        token = encode({"aud": "billing"}, SECRET)
        with pytest.raises(errors.InvalidAudienceError, match="'billing', not for \\['api'\\]"):
            decode(token, SECRET, ["HS256"], audience="api", now=NOW)

    def test_audiences_are_compared_exactly(self) -> None:
        for near_miss in ["API", "api ", "ap", "api/"]:
            token = encode({"aud": near_miss}, SECRET)
            with pytest.raises(errors.InvalidAudienceError):
                decode(token, SECRET, ["HS256"], audience="api", now=NOW)

    def test_a_token_with_aud_is_refused_when_no_audience_was_expected(self) -> None:
        token = encode({"aud": "api"}, SECRET)
        with pytest.raises(errors.InvalidAudienceError, match="pass audience="):
            decode(token, SECRET, ["HS256"], now=NOW)

    def test_a_missing_aud_is_a_missing_claim_when_one_is_expected(self) -> None:
        token = encode({"sub": "1"}, SECRET)
        with pytest.raises(errors.MissingRequiredClaimError) as raised:
            decode(token, SECRET, ["HS256"], audience="api", now=NOW)
        assert raised.value.claim == "aud"

    @pytest.mark.parametrize("aud", [7, None, ["api", 7], {"api": 1}])
    def test_an_aud_that_is_neither_string_nor_list_of_strings_is_refused(self, aud) -> None:
        token = encode({"aud": aud}, SECRET)
        with pytest.raises(errors.InvalidAudienceError, match="list of strings"):
            decode(token, SECRET, ["HS256"], audience="api", now=NOW)

    def test_strict_aud_accepts_only_a_single_string(self) -> None:
        options = {"strict_aud": True}
        decode(encode({"aud": "api"}, SECRET), SECRET, ["HS256"], audience="api", options=options)
        with pytest.raises(errors.InvalidAudienceError, match="strict_aud"):
            decode(
                encode({"aud": ["api"]}, SECRET), SECRET, ["HS256"], audience="api", options=options
            )


# -- RFC 7519 §4.1.1: iss, and required claims --------------------------------------------------


class TestIssuerAndRequiredClaims:
    def test_the_expected_issuer_is_accepted_and_others_refused(self) -> None:
        token = encode({"iss": "https://login.example"}, SECRET)
        decode(token, SECRET, ["HS256"], issuer="https://login.example", now=NOW)
        with pytest.raises(errors.InvalidIssuerError, match="only \\['https://evil.example'\\]"):
            decode(token, SECRET, ["HS256"], issuer="https://evil.example", now=NOW)

    def test_one_of_several_issuers_will_do(self) -> None:
        token = encode({"iss": "accounts.google.com"}, SECRET)
        issuers = ["https://accounts.google.com", "accounts.google.com"]
        decode(token, SECRET, ["HS256"], issuer=issuers, now=NOW)

    def test_an_issuer_that_is_not_a_string_is_refused(self) -> None:
        token = encode({"iss": ["https://login.example"]}, SECRET)
        with pytest.raises(errors.InvalidIssuerError):
            decode(token, SECRET, ["HS256"], issuer="https://login.example", now=NOW)

    def test_a_missing_iss_is_a_missing_claim_when_one_is_expected(self) -> None:
        with pytest.raises(errors.MissingRequiredClaimError, match='"iss"'):
            decode(encode({}, SECRET), SECRET, ["HS256"], issuer="x", now=NOW)

    def test_require_as_a_bare_string_is_a_caller_error(self) -> None:
        with pytest.raises(TypeError, match=r"\['exp'\]"):
            decode(encode({}, SECRET), SECRET, ["HS256"], require="exp", now=NOW)

    @pytest.mark.parametrize("how", ["keyword", "option"])
    def test_required_claims_name_the_one_missing(self, how: str) -> None:
        token = encode({"sub": "1", "exp": NOW + 60}, SECRET)
        kwargs = {"require": ["exp", "sub", "jti"]}
        if how == "option":
            kwargs = {"options": {"require": ["exp", "sub", "jti"]}}
        with pytest.raises(
            errors.MissingRequiredClaimError, match='missing the "jti" claim'
        ) as raised:
            decode(token, SECRET, ["HS256"], now=NOW, **kwargs)
        assert raised.value.claim == "jti"


# -- the exception tree matches PyJWT's ---------------------------------------------------------

OUR_NAMES_FOR_PYJWT = {"JWTError": "PyJWTError"}
SHARED_ERRORS = [
    "JWTError",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "InvalidKeyError",
]


@pytest.mark.parametrize("child", SHARED_ERRORS)
@pytest.mark.parametrize("parent", SHARED_ERRORS)
def test_the_exception_tree_relates_classes_as_pyjwt_does(child: str, parent: str) -> None:
    ours = issubclass(getattr(errors, child), getattr(errors, parent))
    pyjwt_child = getattr(pyjwt.exceptions, OUR_NAMES_FOR_PYJWT.get(child, child))
    pyjwt_parent = getattr(pyjwt.exceptions, OUR_NAMES_FOR_PYJWT.get(parent, parent))
    assert ours == issubclass(pyjwt_child, pyjwt_parent)


# -- properties ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
REGISTERED_TIME_AND_AUDIENCE_CLAIMS = {"exp", "nbf", "iat", "aud", "iss"}
payloads = st.dictionaries(
    st.text(max_size=12).filter(lambda name: name not in REGISTERED_TIME_AND_AUDIENCE_CLAIMS),
    json_values,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(payload=payloads, algorithm=st.sampled_from(["HS256", "HS384", "HS512"]))
def test_any_json_object_payload_round_trips(payload: dict, algorithm: str) -> None:
    token = encode(payload, SECRET, algorithm)
    assert decode(token, SECRET, [algorithm], now=NOW) == payload


@settings(max_examples=300, deadline=None)
@given(token=st.one_of(st.text(), st.binary(), st.text(alphabet="ab.=-_eyJ0", max_size=60)))
def test_arbitrary_text_or_bytes_as_a_token_only_raise_invalid_token_errors(token) -> None:
    with pytest.raises(errors.InvalidTokenError):
        decode(token, SECRET, ["HS256"], now=NOW)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=json_values, payload_bytes=st.binary(max_size=64), payload=json_values)
def test_correctly_signed_garbage_only_raises_invalid_token_errors(
    header, payload_bytes: bytes, payload
) -> None:
    # The signature is valid, so the parser meets whatever header and payload come.
    # Success is allowed (a garbage payload may be a valid object); any other error fails.
    for header_bytes, body in (
        (json.dumps(header).encode(), payload_bytes),
        (b'{"alg":"HS256"}', json.dumps(payload).encode()),
        (json.dumps({"alg": "HS256", "crit": header, "kid": header}).encode(), payload_bytes),
    ):
        try:
            claims = decode(signed_raw(header_bytes, body), SECRET, ["HS256"], now=NOW)
        except errors.InvalidTokenError:
            continue
        assert isinstance(claims, dict)
