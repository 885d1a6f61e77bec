"""miniauth.tokens: access/refresh pairs, rotation, reuse detection, revocation (RFC 9700 §4.14).

Every test runs on a fake clock: expiry is reached by moving the clock.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from miniauth import errors, jwk
from miniauth.jwt import decode, get_unverified_header
from miniauth.tokens import MemoryDenyList, TokenIssuer, TokenPair, TokenRevokedError

SECRET = b"s" * 32


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer(clock: FakeClock) -> TokenIssuer:
    return TokenIssuer(
        SECRET, issuer="https://api.example", audience="api", access_ttl=900, clock=clock
    )


def test_an_access_token_carries_subject_scopes_claims_and_a_short_expiry(issuer, clock) -> None:
    pair = issuer.issue("alice", scopes=["items:read", "items:write"], claims={"roles": ["admin"]})
    claims = issuer.verify_access_token(pair.access_token)
    assert claims["sub"] == "alice"
    assert claims["scope"] == "items:read items:write"
    assert claims["roles"] == ["admin"]
    assert claims["exp"] - claims["iat"] == 900 and pair.expires_in == 900
    assert get_unverified_header(pair.access_token)["typ"] == "at+jwt"


def test_the_pair_is_an_oauth2_token_response(issuer) -> None:
    response = issuer.issue("alice").as_response()
    assert set(response) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert response["token_type"] == "bearer"


def test_extra_claims_cannot_overwrite_the_registered_ones(issuer) -> None:
    pair = issuer.issue("alice", claims={"sub": "root", "aud": "other", "exp": 10**12})
    claims = issuer.verify_access_token(pair.access_token)
    assert (claims["sub"], claims["aud"]) == ("alice", "api")
    assert claims["exp"] < 10**12


def test_an_access_token_expires_after_its_ttl(issuer, clock) -> None:
    pair = issuer.issue("alice")
    clock.now += 899
    issuer.verify_access_token(pair.access_token)
    clock.now += 1
    with pytest.raises(errors.ExpiredSignatureError, match="log in again"):
        issuer.verify_access_token(pair.access_token)


def test_refresh_and_access_tokens_are_not_interchangeable(issuer) -> None:
    pair = issuer.issue("alice")
    with pytest.raises(errors.InvalidTokenError, match="'at\\+jwt' but got 'rt\\+jwt'"):
        issuer.verify_access_token(pair.refresh_token)
    with pytest.raises(errors.InvalidTokenError, match="not interchangeable"):
        issuer.refresh(pair.access_token)


def test_a_plain_jwt_from_the_same_key_is_not_an_access_token(issuer) -> None:
    from miniauth.jwt import encode

    forged_shape = encode(
        {
            "iss": "https://api.example",
            "aud": "api",
            "sub": "x",
            "exp": 2 * 10**9,
            "iat": 1,
            "jti": "j",
            "fam": "f",
        },
        SECRET,
    )
    with pytest.raises(errors.InvalidTokenError, match="'JWT'"):
        issuer.verify_access_token(forged_shape)


def test_refresh_rotates_and_keeps_subject_scopes_and_claims(issuer, clock) -> None:
    first = issuer.issue("alice", scopes=["items:read"], claims={"roles": ["admin"]})
    clock.now += 1000  # the access token has expired; the refresh token has not
    second = issuer.refresh(first.refresh_token)
    assert isinstance(second, TokenPair) and second.refresh_token != first.refresh_token
    claims = issuer.verify_access_token(second.access_token)
    assert (claims["sub"], claims["scope"], claims["roles"]) == ("alice", "items:read", ["admin"])
    first_family = decode(first.refresh_token, options={"verify_signature": False})["fam"]
    assert claims["fam"] == first_family


def test_refresh_can_carry_fresh_claims_such_as_current_roles(issuer) -> None:
    pair = issuer.issue("alice", claims={"roles": ["admin"]})
    demoted = issuer.refresh(pair.refresh_token, claims={"roles": ["viewer"]})
    assert issuer.verify_access_token(demoted.access_token)["roles"] == ["viewer"]
    again = issuer.refresh(demoted.refresh_token)  # the fresh claims carry on
    assert issuer.verify_access_token(again.access_token)["roles"] == ["viewer"]


def test_a_refresh_token_works_only_once(issuer) -> None:
    pair = issuer.issue("alice")
    issuer.refresh(pair.refresh_token)
    with pytest.raises(TokenRevokedError):
        issuer.refresh(pair.refresh_token)


def test_reusing_a_refresh_token_revokes_the_whole_family(issuer) -> None:
    login = issuer.issue("alice")
    thief = issuer.refresh(login.refresh_token)  # the thief uses a stolen copy first
    with pytest.raises(TokenRevokedError):
        issuer.refresh(login.refresh_token)  # the user's copy comes back: reuse detected
    with pytest.raises(TokenRevokedError, match="log in again"):
        issuer.verify_access_token(thief.access_token)
    with pytest.raises(TokenRevokedError):
        issuer.refresh(thief.refresh_token)


def test_other_logins_survive_a_family_revocation(issuer) -> None:
    phone, laptop = issuer.issue("alice"), issuer.issue("alice")
    issuer.revoke(phone.access_token, everywhere=True)
    with pytest.raises(TokenRevokedError):
        issuer.verify_access_token(phone.access_token)
    assert issuer.verify_access_token(laptop.access_token)["sub"] == "alice"


def test_logging_out_revokes_the_token_and_logging_out_twice_is_fine(issuer) -> None:
    pair = issuer.issue("alice")
    issuer.revoke(pair.access_token)
    issuer.revoke(pair.access_token)
    issuer.revoke("not even a token")
    with pytest.raises(TokenRevokedError, match="revoked"):
        issuer.verify_access_token(pair.access_token)


def test_the_deny_list_forgets_entries_once_the_tokens_have_expired(clock) -> None:
    deny_list = MemoryDenyList(clock)
    assert deny_list.deny("jti:a", until=clock.now + 10) is True
    assert deny_list.deny("jti:a", until=clock.now + 10) is False  # already denied
    assert deny_list.is_denied("jti:a")
    clock.now += 10
    assert not deny_list.is_denied("jti:a")
    deny_list.deny("jti:b", until=clock.now + 10)
    assert len(deny_list) == 1  # "a" was dropped


def test_rs256_issuers_sign_with_the_private_key_and_verify_with_the_public(clock) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

    pem = crypto_rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private = jwk.jwk_from_rsa_key(jwk.rsa_key_from_pem(pem))
    issuer = TokenIssuer(
        private,
        issuer="https://api.example",
        audience="api",
        algorithm="RS256",
        verification_key=jwk.public_jwk(private),
        clock=clock,
    )
    pair = issuer.issue("alice")
    assert issuer.verify_access_token(pair.access_token)["sub"] == "alice"
    assert issuer.verify_access_token(issuer.refresh(pair.refresh_token).access_token)


# -- the laws of rotation, as a state machine ------------------------------------------------------


class RotationLaws(RuleBasedStateMachine):
    """Logins, refreshes (honest and replayed), logouts and time passing, in any order.

    The model tracks, per family, whether it was revoked and which refresh token
    is the live one; the issuer must agree with it after every step.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.issuer = TokenIssuer(
            SECRET,
            issuer="https://api.example",
            audience="api",
            access_ttl=900,
            refresh_ttl=3600,
            clock=self.clock,
        )
        # per family: the live pair, its spent refresh tokens, revoked, logged out (this device)
        self.families: list[dict] = []

    @rule()
    def log_in(self) -> None:
        pair = self.issuer.issue("alice")
        self.families.append({"live": pair, "spent": [], "revoked": False, "logged_out": False})

    @precondition(lambda self: self.families)
    @rule(index=st.integers(min_value=0))
    def refresh_honestly(self, index: int) -> None:
        family = self.families[index % len(self.families)]
        live = family["live"]
        expired = self.clock.now >= self._expiry(live.refresh_token)
        if family["revoked"] or family["logged_out"] or expired:
            try:
                self.issuer.refresh(live.refresh_token)
            except errors.InvalidTokenError:
                if family["logged_out"] and not expired:
                    family["revoked"] = True  # a logged-out token came back: reuse
                return
            raise AssertionError("a revoked, logged-out or expired refresh token was accepted")
        family["spent"].append(live.refresh_token)
        family["live"] = self.issuer.refresh(live.refresh_token)

    @precondition(lambda self: any(family["spent"] for family in self.families))
    @rule(index=st.integers(min_value=0))
    def replay_a_spent_token(self, index: int) -> None:
        spent = [family for family in self.families if family["spent"]]
        family = spent[index % len(spent)]
        try:
            self.issuer.refresh(family["spent"][0])
        except errors.InvalidTokenError:
            if self.clock.now < self._expiry(family["spent"][0]):
                family["revoked"] = True  # reuse detected: the family is gone
            return
        raise AssertionError("a spent refresh token was accepted twice")

    @precondition(lambda self: self.families)
    @rule(index=st.integers(min_value=0), everywhere=st.booleans())
    def log_out(self, index: int, everywhere: bool) -> None:
        family = self.families[index % len(self.families)]
        self.issuer.revoke(family["live"].refresh_token, everywhere=everywhere)
        if everywhere:
            family["revoked"] = True
        else:
            family["logged_out"] = True

    @rule(seconds=st.sampled_from([1, 60, 901, 3601]))
    def let_time_pass(self, seconds: int) -> None:
        self.clock.now += seconds

    @invariant()
    def revoked_families_have_no_valid_access_token(self) -> None:
        for family in self.families:
            if family["revoked"]:
                try:
                    self.issuer.verify_access_token(family["live"].access_token)
                except errors.InvalidTokenError:
                    continue
                raise AssertionError("an access token of a revoked family still verifies")

    @invariant()
    def live_families_keep_working(self) -> None:
        for family in self.families:
            access = family["live"].access_token
            if family["revoked"] or self.clock.now >= self._expiry(access):
                continue
            assert self.issuer.verify_access_token(access)["sub"] == "alice"

    @staticmethod
    def _expiry(token: str) -> float:
        return decode(token, options={"verify_signature": False})["exp"]


RotationLaws.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_rotation_laws = RotationLaws.TestCase
