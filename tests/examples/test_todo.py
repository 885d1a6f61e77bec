"""The todo API, specified through its HTTP interface.

Every test runs twice: on an in-memory SQLite database and on PostgreSQL (a
fresh schema per test). The app is driven in-process with the TestClient, as
FastAPI apps are tested; tests/examples/test_todo_served.py serves it for real.

This file is also the model of how to test such an app: build it with the
factory and test settings, drive it with a client, and replace what must not be
real with `app.dependency_overrides`.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import httpx
import psycopg
import pytest

from examples.todo.database import get_session
from examples.todo.main import create_app
from examples.todo.models import TABLES, Todo, User
from examples.todo.settings import Settings
from miniasgi import Depends
from miniasgi.testclient import ASGITransport, TestClient
from miniauth.tokens import TokenIssuer
from miniorm import AsyncDatabase, select

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    if request.param == "sqlite":
        yield "sqlite://"
        return
    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"todo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def settings(database_url):
    return Settings(database_url=database_url, secret_key=SECRET)


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def register(client, email="ada@example.com", password=PASSWORD):
    response = client.post("/users", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response


def log_in(client, email="ada@example.com", password=PASSWORD) -> dict:
    response = client.post("/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def auth(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def make_admin(client: TestClient, email: str) -> None:
    """Promote a user directly in the database, on the loop the app's database lives on."""

    async def promote():
        async with client.app.state.database.begin() as session:
            user = (await session.exec(select(User).where(User.email == email))).first()
            user.roles = "user admin"
            session.add(user)

    client.portal_call(promote())


# -- users and logging in ------------------------------------------------------------------


def test_registering_answers_201_with_location_and_never_the_password_hash(client):
    response = register(client)
    body = response.json()
    assert response.headers["location"] == f"/users/{body['id']}"
    assert body["email"] == "ada@example.com" and body["roles"] == "user"
    assert "password" not in response.text and "hash" not in response.text


def test_a_duplicate_email_is_a_conflict(client):
    register(client)
    response = client.post("/users", json={"email": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize("body, field, error_type", [
    ({"email": "not-an-email", "password": PASSWORD}, "email", "string_pattern_mismatch"),
    ({"email": "bob@example.com", "password": "short"}, "password", "string_too_short"),
    ({"password": PASSWORD}, "email", "missing"),
])
def test_invalid_registrations_are_422_naming_the_field(client, body, field, error_type):
    response = client.post("/users", json=body)
    assert response.status_code == 422
    assert {(tuple(e["loc"]), e["type"]) for e in response.json()["detail"]} == {
        (("body", field), error_type)}


def test_logging_in_returns_access_and_refresh_tokens(client):
    register(client)
    tokens = log_in(client, email="Ada@Example.com")  # e-mail compared case-insensitively
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    me = client.get("/me", headers=auth(tokens))
    assert me.status_code == 200 and me.json()["email"] == "ada@example.com"


@pytest.mark.parametrize("username, password", [
    ("ada@example.com", "wrong password"), ("nobody@example.com", PASSWORD)])
def test_a_wrong_password_or_unknown_user_gets_the_same_401(client, username, password):
    register(client)
    response = client.post("/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "incorrect e-mail or password"}
    assert response.headers["www-authenticate"] == "Bearer"


# -- bad tokens ----------------------------------------------------------------------------


def test_no_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/todos")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc", "abc.def.ghi",
                                    "Bearer a b", "Bearer not.a.jwt"])
def test_malformed_authorization_headers_are_401(client, header):
    response = client.get("/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_an_expired_token_is_401_and_says_so(client, settings):
    register(client)
    user_id = client.get("/me", headers=auth(log_in(client))).json()["id"]
    an_hour_ago = time.time() - 3600
    issuer = TokenIssuer(SECRET, issuer=settings.issuer, audience=settings.audience,
                         clock=lambda: an_hour_ago)
    stale = issuer.issue(str(user_id), claims={"roles": "user"}).access_token
    response = client.get("/me", headers={"Authorization": f"Bearer {stale}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_tampered_token_is_401(client):
    register(client)
    token = log_in(client)["access_token"]
    header, payload, signature = token.split(".")
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    response = client.get("/me", headers={"Authorization": f"Bearer {header}.{payload}."
                                                           f"{forged_signature}"})
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]


def test_a_token_signed_with_another_key_is_401(client, settings):
    register(client)
    user_id = client.get("/me", headers=auth(log_in(client))).json()["id"]
    other = TokenIssuer("another-secret-that-is-also-long-enough!!", issuer=settings.issuer,
                        audience=settings.audience)
    token = other.issue(str(user_id)).access_token
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_refresh_token_is_not_an_access_token(client):
    register(client)
    refresh_token = log_in(client)["refresh_token"]
    response = client.get("/me", headers={"Authorization": f"Bearer {refresh_token}"})
    assert response.status_code == 401


# -- refresh and log out -------------------------------------------------------------------


def test_refresh_rotates_and_a_reused_refresh_token_is_refused(client):
    register(client)
    first = log_in(client)
    second = client.post("/token/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert client.get("/me", headers=auth(second.json())).status_code == 200
    replay = client.post("/token/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # reuse revokes the whole login: the pair obtained by the rotation stops working too
    again = client.post("/token/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert again.status_code == 401


def test_logging_out_ends_the_login(client):
    register(client)
    tokens = log_in(client)
    assert client.post("/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert client.get("/me", headers=auth(tokens)).status_code == 401
    refused = client.post("/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401


# -- todos ---------------------------------------------------------------------------------


@pytest.fixture
def ada(client):
    register(client)
    return auth(log_in(client))


def test_creating_a_todo_answers_201_with_location(client, ada):
    response = client.post("/todos", json={"title": "Read RFC 9112"}, headers=ada)
    assert response.status_code == 201
    todo = response.json()
    assert response.headers["location"] == f"/todos/{todo['id']}"
    assert (todo["title"], todo["done"], todo["description"]) == ("Read RFC 9112", False, None)
    assert client.get(response.headers["location"], headers=ada).json() == todo


def test_listing_pages_filters_and_orders(client, ada):
    for index, title in enumerate(["b task", "A task", "c chore", "d task"]):
        client.post("/todos", json={"title": title, "done": index % 2 == 1}, headers=ada)
    page = client.get("/todos", params={"limit": 2, "order_by": "title"}, headers=ada).json()
    assert [todo["title"] for todo in page["items"]] == ["A task", "b task"]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 0)
    second = client.get("/todos", params={"limit": 2, "offset": 2, "order_by": "title"},
                        headers=ada).json()
    assert [todo["title"] for todo in second["items"]] == ["c chore", "d task"]
    done = client.get("/todos", params={"done": "true"}, headers=ada).json()
    assert {todo["title"] for todo in done["items"]} == {"A task", "d task"}
    found = client.get("/todos", params={"q": "TASK", "order_by": "-title"}, headers=ada).json()
    assert [todo["title"] for todo in found["items"]] == ["d task", "b task", "A task"]


def test_text_search_treats_like_wildcards_as_text(client, ada):
    client.post("/todos", json={"title": "100% done"}, headers=ada)
    client.post("/todos", json={"title": "1000 things"}, headers=ada)
    found = client.get("/todos", params={"q": "0%"}, headers=ada).json()
    assert [todo["title"] for todo in found["items"]] == ["100% done"]


def test_ordering_by_an_unknown_column_is_a_422(client, ada):
    response = client.get("/todos", params={"order_by": "password_hash"}, headers=ada)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "literal_error"


def test_put_replaces_and_patch_changes_only_what_is_sent(client, ada):
    todo = client.post("/todos", json={"title": "draft", "description": "notes"},
                       headers=ada).json()
    incomplete = client.put(f"/todos/{todo['id']}", json={"title": "x"}, headers=ada)
    assert incomplete.status_code == 422
    assert {e["loc"][-1] for e in incomplete.json()["detail"]} == {"description", "done"}
    replaced = client.put(f"/todos/{todo['id']}",
                          json={"title": "final", "description": None, "done": True},
                          headers=ada).json()
    assert (replaced["title"], replaced["description"], replaced["done"]) == ("final", None, True)
    patched = client.patch(f"/todos/{todo['id']}", json={"done": False}, headers=ada).json()
    assert (patched["title"], patched["done"]) == ("final", False)
    unknown_field = client.patch(f"/todos/{todo['id']}", json={"owner_id": 99}, headers=ada)
    assert unknown_field.status_code == 422
    assert unknown_field.json()["detail"][0]["type"] == "extra_forbidden"


def test_deleting_answers_204_and_the_todo_is_gone(client, ada):
    todo = client.post("/todos", json={"title": "temporary"}, headers=ada).json()
    response = client.delete(f"/todos/{todo['id']}", headers=ada)
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/todos/{todo['id']}", headers=ada).status_code == 404
    assert client.delete(f"/todos/{todo['id']}", headers=ada).status_code == 404


def test_someone_elses_todo_is_404_for_every_method(client, ada):
    todo = client.post("/todos", json={"title": "private"}, headers=ada).json()
    register(client, "bob@example.com")
    bob = auth(log_in(client, "bob@example.com"))
    url = f"/todos/{todo['id']}"
    assert client.get(url, headers=bob).status_code == 404
    assert client.patch(url, json={"done": True}, headers=bob).status_code == 404
    assert client.put(url, json={"title": "x", "description": None, "done": True},
                      headers=bob).status_code == 404
    assert client.delete(url, headers=bob).status_code == 404
    assert client.get("/todos", headers=bob).json()["total"] == 0


# -- roles ---------------------------------------------------------------------------------


def test_listing_users_needs_the_admin_role(app, client, ada):
    refused = client.get("/users", headers=ada)
    assert refused.status_code == 403
    assert "users:list" in refused.json()["detail"]
    make_admin(client, "ada@example.com")
    users = client.get("/users", headers=ada)
    assert users.status_code == 200
    assert [user["email"] for user in users.json()] == ["ada@example.com"]
    assert "password_hash" not in users.text


def test_an_admin_may_delete_anyones_todo_but_a_user_may_not(app, client, ada):
    register(client, "bob@example.com")
    bob = auth(log_in(client, "bob@example.com"))
    todo = client.post("/todos", json={"title": "bob's"}, headers=bob).json()
    assert client.delete(f"/todos/{todo['id']}", headers=ada).status_code == 404
    make_admin(client, "ada@example.com")
    assert client.delete(f"/todos/{todo['id']}", headers=ada).status_code == 204
    assert client.get(f"/todos/{todo['id']}", headers=bob).status_code == 404


def test_reading_another_user_needs_the_admin_role(app, client, ada):
    bob_id = register(client, "bob@example.com").json()["id"]
    assert client.get(f"/users/{bob_id}", headers=ada).status_code == 403
    make_admin(client, "ada@example.com")
    assert client.get(f"/users/{bob_id}", headers=ada).json()["email"] == "bob@example.com"
    assert client.get("/users/999999", headers=ada).status_code == 404


# -- transactions --------------------------------------------------------------------------


def test_a_failing_request_rolls_back_its_writes(settings):
    """The session dependency commits on success and rolls back when the endpoint raises."""
    app = create_app(settings)

    @app.post("/boom")
    async def write_then_fail(user_id: int, session=Depends(get_session)):
        session.add(Todo(owner_id=user_id, title="half written"))
        await session.flush()  # the INSERT has run inside the transaction
        raise RuntimeError("the endpoint failed after writing")

    with TestClient(app, raise_server_exceptions=False) as client:
        register(client)
        tokens = log_in(client)
        user_id = client.get("/me", headers=auth(tokens)).json()["id"]
        assert client.post("/boom", params={"user_id": user_id}).status_code == 500
        assert client.get("/todos", headers=auth(tokens)).json()["total"] == 0


# -- replacing dependencies in tests -------------------------------------------------------


class RecordingSession:
    """A pure fake: no database at all, it records what the endpoint asked of it."""

    def __init__(self, users: dict[int, User]):
        self.users = users
        self.calls: list[tuple] = []

    async def get(self, model, key):
        self.calls.append(("get", model.__name__, key))
        return self.users.get(key) if model is User else None


def test_the_session_can_be_replaced_by_a_recording_fake(settings):
    app = create_app(settings)
    fake = RecordingSession({7: User(id=7, email="fake@example.com", password_hash="-",
                                     roles="user")})
    app.dependency_overrides[get_session] = lambda: fake
    token = app.state.token_issuer.issue("7").access_token
    with TestClient(app) as client:
        response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["email"] == "fake@example.com"
    assert fake.calls == [("get", "User", 7)]


def test_the_session_can_be_replaced_by_an_in_memory_sqlite_session(settings):
    memory = AsyncDatabase("sqlite://")

    async def memory_session():
        async with memory.begin() as session:
            yield session

    async def emails() -> list[str]:
        async with memory.session() as session:
            return [user.email for user in (await session.exec(select(User))).all()]

    app = create_app(settings)
    app.dependency_overrides[get_session] = memory_session
    with TestClient(app) as client:
        client.portal_call(memory.create_all(TABLES))
        register(client, "mem@example.com")
        assert client.portal_call(emails()) == ["mem@example.com"]
        client.portal_call(memory.dispose())


def test_the_app_works_with_httpx_async_client_on_every_loop(database_url, run_async):
    async def scenario():
        database = AsyncDatabase(database_url)
        await database.create_all(TABLES)
        app = create_app(Settings(database_url=database_url, secret_key=SECRET),
                         database=database)
        transport = ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                created = await client.post("/users", json={"email": "async@example.com",
                                                            "password": PASSWORD})
                assert created.status_code == 201
                tokens = (await client.post("/token", data={"username": "async@example.com",
                                                            "password": PASSWORD})).json()
                headers = {"Authorization": f"Bearer {tokens['access_token']}"}
                todo = await client.post("/todos", json={"title": "async"}, headers=headers)
                assert todo.status_code == 201
                listed = await client.get("/todos", headers=headers)
                assert [item["title"] for item in listed.json()["items"]] == ["async"]
        finally:
            await database.dispose()

    run_async(scenario())
