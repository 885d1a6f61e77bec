"""miniauth.passwords: scrypt (RFC 7914) hashes in a self-describing string.

Most tests use small scrypt parameters (n=2**10) so they run in milliseconds;
one test checks the defaults.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniauth.passwords import DEFAULT_N, hash_password, needs_rehash, verify_password

FAST = {"n": 2**10, "r": 8, "p": 1}


def test_a_password_verifies_against_its_hash_and_others_do_not() -> None:
    stored = hash_password("correct horse battery staple", **FAST)
    assert verify_password("correct horse battery staple", stored)
    assert not verify_password("correct horse battery stapler", stored)
    assert not verify_password("", stored)


def test_the_stored_string_names_algorithm_parameters_salt_and_hash() -> None:
    stored = hash_password("pw", **FAST)
    algorithm, parameters, salt, derived = stored.split("$")
    assert (algorithm, parameters) == ("scrypt", "n=1024,r=8,p=1")
    salt_bytes = base64.b64decode(salt + "==")
    expected = hashlib.scrypt(b"pw", salt=salt_bytes, n=1024, r=8, p=1, dklen=32)
    assert base64.b64decode(derived + "==") == expected  # it is plain scrypt, checkable by anyone


def test_the_defaults_are_the_interactive_login_parameters() -> None:
    stored = hash_password("pw")
    assert stored.startswith(f"scrypt$n={DEFAULT_N},r=8,p=1$")
    assert verify_password("pw", stored)


def test_equal_passwords_get_different_salts_and_hashes() -> None:
    assert hash_password("same", **FAST) != hash_password("same", **FAST)


@settings(max_examples=20, deadline=None)
@given(password=st.text(max_size=50))
def test_any_unicode_password_verifies(password: str) -> None:
    stored = hash_password(password, **FAST)
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)


def test_long_passwords_work_and_every_character_counts() -> None:
    long_password = "ä" * 10_000
    stored = hash_password(long_password, **FAST)
    assert verify_password(long_password, stored)
    assert not verify_password("ä" * 9_999 + "a", stored)


def test_composed_and_decomposed_accents_are_the_same_password() -> None:
    composed = unicodedata.normalize("NFC", "Café")
    decomposed = unicodedata.normalize("NFD", "Café")
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed, **FAST))


def test_bytes_passwords_are_hashed_as_given() -> None:
    stored = hash_password(b"\xff\x00raw", **FAST)
    assert verify_password(b"\xff\x00raw", stored)


def test_an_empty_password_hashes_because_policy_is_the_callers() -> None:
    assert verify_password("", hash_password("", **FAST))


def test_needs_rehash_is_true_when_parameters_have_changed() -> None:
    stored = hash_password("pw", **FAST)
    assert not needs_rehash(stored, **FAST)
    assert needs_rehash(stored)  # today's defaults are stronger
    assert needs_rehash(stored, n=2**11, r=8, p=1)


@pytest.mark.parametrize(
    "stored, message",
    [
        ("", "not a password hash made by hash_password"),
        ("$2b$12$abcdefghijklmnopqrstuv", "not a password hash"),
        ("scrypt$n=1024,r=8,p=1$c2FsdA$", "not a password hash"),
        ("scrypt$n=1000,r=8,p=1$c2FsdA$" + "A" * 43, "power of two"),
        ("scrypt$n=1073741824,r=8,p=1$c2FsdA$" + "A" * 43, "power of two between"),
        ("scrypt$n=1024,r=0,p=1$c2FsdA$" + "A" * 43, "r must be"),
        ("scrypt$n=1024,r=8,p=99$c2FsdA$" + "A" * 43, "p must be"),
        ("scrypt$n=1024,r=8,p=1$c2FsdA$AAAAA", "corrupt"),
        ("scrypt$n=1024,r=8,p=1$c2FsdA$AAAA", "too short"),
    ],
)
def test_a_malformed_stored_hash_is_a_clear_value_error(stored: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        verify_password("pw", stored)


def test_a_stored_hash_that_is_not_text_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="got NoneType"):
        verify_password("pw", None)  # type: ignore[arg-type]


def test_a_password_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="got int"):
        hash_password(1234, **FAST)  # type: ignore[arg-type]


def test_bad_parameters_for_a_new_hash_are_refused() -> None:
    with pytest.raises(ValueError, match="power of two"):
        hash_password("pw", n=1000)
