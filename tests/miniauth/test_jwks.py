"""miniauth.jwks: the key-set client, on a fake clock and a fake fetch, then over a real socket."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

from miniauth import errors, jwk, rsa
from miniauth.jwks import JWKSClient, fetch_with_urllib, find_key, parse_key_set
from miniauth.jwt import encode

URL = "https://login.example/.well-known/jwks.json"
NOW = 1_700_000_000


def private_jwk(kid: str) -> dict:
    numbers = crypto_rsa.generate_private_key(65537, 2048).private_numbers()
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
    return jwk.jwk_from_rsa_key(key, kid=kid, use="sig")


@pytest.fixture(scope="module")
def old_key() -> dict:
    return private_jwk("2024-06")


@pytest.fixture(scope="module")
def new_key() -> dict:
    return private_jwk("2024-09")


def key_set(*private_keys: dict) -> bytes:
    return json.dumps({"keys": [jwk.public_jwk(key) for key in private_keys]}).encode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeProvider:
    """Answers fetches with the current body, or raises the current failure; counts calls."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.failure: Exception | None = None
        self.fetches = 0

    def __call__(self, url: str, timeout: float) -> bytes:
        assert url == URL
        self.fetches += 1
        if self.failure is not None:
            raise self.failure
        return self.body


def make_client(provider: FakeProvider, clock: FakeClock, **options) -> JWKSClient:
    return JWKSClient(URL, fetch=provider, clock=clock, **options)


# -- choosing the key ------------------------------------------------------------------------------


def test_the_key_named_by_kid_verifies_the_token(old_key, new_key) -> None:
    provider, clock = FakeProvider(key_set(old_key, new_key)), FakeClock()
    client = make_client(provider, clock)
    token = encode({"sub": "1"}, old_key, "RS256", headers={"kid": "2024-06"})
    assert client.get_signing_key_from_jwt(token)["kid"] == "2024-06"
    assert client.decode(token, ["RS256"], now=NOW) == {"sub": "1"}


def test_a_token_without_kid_uses_the_only_key_or_is_refused(old_key, new_key) -> None:
    token = encode({"sub": "1"}, old_key, "RS256")
    single = make_client(FakeProvider(key_set(old_key)), FakeClock())
    assert single.decode(token, ["RS256"], now=NOW) == {"sub": "1"}
    double = make_client(FakeProvider(key_set(old_key, new_key)), FakeClock())
    with pytest.raises(errors.KeySetError, match="no kid and the key set .* has 2 keys"):
        double.decode(token, ["RS256"], now=NOW)


def test_a_token_signed_by_an_unpublished_key_is_refused_naming_the_kid(old_key) -> None:
    stranger = private_jwk("stranger")
    client = make_client(FakeProvider(key_set(old_key)), FakeClock())
    token = encode({"sub": "1"}, stranger, "RS256", headers={"kid": "stranger"})
    with pytest.raises(errors.KeySetError, match="no key with kid 'stranger'.*2024-06"):
        client.decode(token, ["RS256"], now=NOW)


def test_a_token_that_lies_about_its_kid_fails_the_signature(old_key, new_key) -> None:
    client = make_client(FakeProvider(key_set(old_key, new_key)), FakeClock())
    token = encode({"sub": "1"}, old_key, "RS256", headers={"kid": "2024-09"})
    with pytest.raises(errors.InvalidSignatureError):
        client.decode(token, ["RS256"], now=NOW)


def test_a_token_naming_a_key_of_another_type_is_a_token_error(old_key) -> None:
    ec_key = {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "AAAA", "y": "AAAA"}
    body = json.dumps({"keys": [jwk.public_jwk(old_key), ec_key]}).encode()
    client = make_client(FakeProvider(body), FakeClock())
    token = encode({"sub": "1"}, old_key, "RS256", headers={"kid": "ec-1"})
    with pytest.raises(errors.KeySetError, match="says RS256 but names key 'ec-1'.*'EC'"):
        client.decode(token, ["RS256"], now=NOW)


def test_encryption_keys_and_entries_without_kty_are_not_signing_keys(old_key) -> None:
    public = jwk.public_jwk(old_key)
    body = json.dumps({"keys": [{**public, "use": "enc", "kid": "e"}, {"kid": "x"}, public, 7]})
    assert [key["kid"] for key in parse_key_set(body)] == ["2024-06"]


@pytest.mark.parametrize("body", [b"[]", b'{"keys": {}}', b"{}", b"not json", b"\xff"])
def test_documents_that_are_not_key_sets_are_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_key_set(body)


def test_find_key_matches_kid_exactly() -> None:
    keys = [{"kid": "a"}, {"kid": "A"}]
    assert find_key(keys, "A") == {"kid": "A"}
    assert find_key(keys, "b") is None
    assert find_key(keys, None) is None


# -- caching and rotation ----------------------------------------------------------------------------


def test_keys_warms_the_cache_and_lists_the_signing_keys(old_key, new_key) -> None:
    provider, clock = FakeProvider(key_set(old_key, new_key)), FakeClock()
    client = make_client(provider, clock)
    assert [key["kid"] for key in client.keys()] == ["2024-06", "2024-09"]
    client.get_signing_key("2024-09")
    assert provider.fetches == 1


def test_the_set_is_fetched_once_and_cached_for_the_ttl(old_key) -> None:
    provider, clock = FakeProvider(key_set(old_key)), FakeClock()
    client = make_client(provider, clock, ttl=300)
    for _ in range(5):
        client.get_signing_key("2024-06")
    assert provider.fetches == 1
    clock.now += 299
    client.get_signing_key("2024-06")
    assert provider.fetches == 1
    clock.now += 1
    client.get_signing_key("2024-06")
    assert provider.fetches == 2


def test_an_unknown_kid_triggers_one_refetch_that_finds_the_rotated_key(old_key, new_key) -> None:
    provider, clock = FakeProvider(key_set(old_key)), FakeClock()
    client = make_client(provider, clock, min_fetch_interval=30)
    client.get_signing_key("2024-06")
    provider.body = key_set(old_key, new_key)  # the provider rotates
    clock.now += 31
    assert client.get_signing_key("2024-09")["kid"] == "2024-09"
    assert provider.fetches == 2


def test_random_kids_cannot_make_the_client_fetch_more_than_once_per_interval(old_key) -> None:
    provider, clock = FakeProvider(key_set(old_key)), FakeClock()
    client = make_client(provider, clock, min_fetch_interval=30)
    client.get_signing_key("2024-06")
    for attempt in range(20):
        with pytest.raises(errors.KeySetError):
            client.get_signing_key(f"random-{attempt}")
    assert provider.fetches == 1  # the first fetch was less than 30 s ago
    clock.now += 30
    with pytest.raises(errors.KeySetError):
        client.get_signing_key("random-again")
    assert provider.fetches == 2


def test_a_failed_fetch_keeps_the_last_good_set(old_key) -> None:
    provider, clock = FakeProvider(key_set(old_key)), FakeClock()
    client = make_client(provider, clock, ttl=300, min_fetch_interval=30)
    client.get_signing_key("2024-06")
    provider.failure = errors.KeySetFetchError("GET answered 503 Service Unavailable")
    clock.now += 400  # the cache is stale, the provider is down
    assert client.get_signing_key("2024-06")["kid"] == "2024-06"
    assert "503" in str(client.last_error)
    assert provider.fetches == 2
    clock.now += 10  # no retry before min_fetch_interval has passed
    client.get_signing_key("2024-06")
    assert provider.fetches == 2
    provider.failure = None
    clock.now += 30
    client.get_signing_key("2024-06")
    assert provider.fetches == 3 and client.last_error is None


def test_a_broken_answer_also_keeps_the_last_good_set(old_key) -> None:
    provider, clock = FakeProvider(key_set(old_key)), FakeClock()
    client = make_client(provider, clock, ttl=300)
    client.get_signing_key("2024-06")
    provider.body = b"<html>maintenance</html>"
    clock.now += 400
    assert client.get_signing_key("2024-06")["kid"] == "2024-06"


def test_with_nothing_cached_a_failed_fetch_is_a_fetch_error_not_a_token_error() -> None:
    provider = FakeProvider(b"")
    provider.failure = OSError("connection refused")
    client = make_client(provider, FakeClock())
    with pytest.raises(errors.KeySetFetchError, match="connection refused") as raised:
        client.get_signing_key("any")
    assert not isinstance(raised.value, errors.InvalidTokenError)


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="http"):
        JWKSClient("file:///etc/passwd")


# -- the real fetch, over a socket on 127.0.0.1 -------------------------------------------------------


class KeySetHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path != "/jwks.json":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def key_set_server(old_key) -> Iterator[str]:
    KeySetHandler.body = key_set(old_key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KeySetHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_default_fetch_gets_the_set_over_http(key_set_server: str, old_key) -> None:
    client = JWKSClient(f"{key_set_server}/jwks.json")
    token = encode({"sub": "1"}, old_key, "RS256", headers={"kid": "2024-06"})
    assert client.decode(token, ["RS256"], now=NOW) == {"sub": "1"}


def test_the_default_fetch_reports_http_errors(key_set_server: str) -> None:
    with pytest.raises(errors.KeySetFetchError, match="404"):
        fetch_with_urllib(f"{key_set_server}/missing", 5.0)


def test_the_default_fetch_reports_a_closed_port() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(errors.KeySetFetchError, match="failed"):
        fetch_with_urllib(f"http://127.0.0.1:{port}/jwks.json", 2.0)
