"""Depends(): nesting, caching, generator teardown, sync in threads, Security scopes, overrides."""

import threading
from typing import Annotated

import pytest

from miniasgi import (
    App,
    BackgroundTasks,
    Depends,
    Header,
    HTTPException,
    Request,
    Response,
    Security,
    SecurityBase,
    SecurityScopes,
)
from miniasgi.testclient import TestClient


def test_dependencies_nest_and_each_one_gets_its_own_parameters():
    def pagination(skip: int = 0, limit: int = 10):
        return {"skip": skip, "limit": limit}

    async def search(page: dict = Depends(pagination), q: str | None = None):
        return {"page": page, "q": q}

    app = App()

    @app.get("/items")
    async def items(found: Annotated[dict, Depends(search)]):
        return found

    response = TestClient(app).get("/items?q=x&limit=5")
    assert response.json() == {"page": {"skip": 0, "limit": 5}, "q": "x"}


def test_a_dependency_used_twice_in_one_request_runs_once_unless_use_cache_is_false():
    calls = []

    def counted():
        calls.append(1)
        return len(calls)

    def first(value: int = Depends(counted)):
        return value

    app = App()

    @app.get("/cached")
    def cached(a: int = Depends(first), b: int = Depends(counted)):
        return [a, b]

    @app.get("/uncached")
    def uncached(a: int = Depends(counted), b: int = Depends(counted, use_cache=False)):
        return [a, b]

    client = TestClient(app)
    assert client.get("/cached").json() == [1, 1]
    calls.clear()
    assert client.get("/uncached").json() == [1, 2]
    calls.clear()
    assert client.get("/cached").json() == [1, 1]  # the cache is per request


def test_a_class_is_a_dependency_and_its_init_parameters_are_read():
    class Paging:
        def __init__(self, skip: int = 0, limit: int = 100):
            self.skip = skip
            self.limit = limit

    app = App()

    @app.get("/")
    def index(paging: Annotated[Paging, Depends()]):
        return {"skip": paging.skip, "limit": paging.limit}

    assert TestClient(app).get("/?skip=3").json() == {"skip": 3, "limit": 100}


def test_generator_teardown_runs_after_the_response_and_after_background_tasks():
    events = []

    async def session():
        events.append("open")
        yield "session"
        events.append("close")

    def sync_resource():
        events.append("sync open")
        yield "resource"
        events.append("sync close")

    app = App()

    @app.get("/")
    async def index(tasks: BackgroundTasks, db: str = Depends(session),
                    resource: str = Depends(sync_resource)):
        tasks.add_task(events.append, "background")
        events.append("endpoint")
        return {"db": db, "resource": resource}

    assert TestClient(app).get("/").json() == {"db": "session", "resource": "resource"}
    assert events == ["open", "sync open", "endpoint", "background", "sync close", "close"]


def test_the_endpoints_exception_is_thrown_into_generator_dependencies():
    seen = []

    async def transaction():
        try:
            yield
        except HTTPException as error:
            seen.append(("rolled back", error.status_code))
            raise
        else:
            seen.append("committed")

    app = App()

    @app.get("/fail")
    async def fail(_: None = Depends(transaction)):
        raise HTTPException(409, "conflict")

    @app.get("/ok")
    async def ok(_: None = Depends(transaction)):
        return "fine"

    client = TestClient(app)
    response = client.get("/fail")
    assert (response.status_code, response.json()) == (409, {"detail": "conflict"})
    assert client.get("/ok").json() == "fine"
    assert seen == [("rolled back", 409), "committed"]


def test_a_dependency_that_swallows_the_endpoints_error_gets_an_explaining_500():
    async def swallowing():
        try:
            yield
        except Exception:
            pass

    app = App()

    @app.get("/")
    async def index(_: None = Depends(swallowing)):
        raise ValueError("boom")

    with pytest.raises(RuntimeError, match="Re-raise in the dependency"):
        TestClient(app).get("/")


def test_sync_endpoints_and_dependencies_run_in_a_worker_thread():
    loop_thread = []

    def sync_dependency():
        return threading.current_thread().name

    app = App()

    @app.get("/")
    async def marker_for_loop_thread():
        loop_thread.append(threading.current_thread().name)
        return {}

    @app.get("/sync")
    def sync_endpoint(dependency_thread: str = Depends(sync_dependency)):
        return {"endpoint": threading.current_thread().name, "dependency": dependency_thread}

    client = TestClient(app)
    client.get("/")
    threads = client.get("/sync").json()
    assert threads["endpoint"] != loop_thread[0]
    assert threads["dependency"] != loop_thread[0]


def test_request_response_and_background_tasks_are_injected_by_annotation():
    app = App()
    done = []

    def remember(request: Request):
        return request.url.path

    @app.get("/inject")
    def inject(request: Request, response: Response, tasks: BackgroundTasks,
               path: str = Depends(remember)):
        response.headers["x-path"] = path
        response.set_cookie("seen", "yes")
        response.status_code = 202
        tasks.add_task(done.append, request.method)
        return {"path": request.url.path}

    response = TestClient(app).get("/inject")
    assert response.status_code == 202
    assert response.headers["x-path"] == "/inject"
    assert "seen=yes" in response.headers["set-cookie"]
    assert done == ["GET"]


class BearerScheme(SecurityBase):
    scheme_name = "bearer"

    def openapi_scheme(self):
        return {"type": "http", "scheme": "bearer"}

    async def __call__(self, authorization: str = Header(None)):
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
        return authorization.removeprefix("Bearer ")


bearer = BearerScheme()


def current_user(scopes: SecurityScopes, token: str = Depends(bearer)):
    granted = set(token.split(","))
    missing = [scope for scope in scopes.scopes if scope not in granted]
    if missing:
        raise HTTPException(403, f"missing scopes: {' '.join(missing)}")
    return {"token": token, "required": scopes.scope_str}


def make_secure_app():
    app = App()

    @app.get("/me")
    def me(user: dict = Security(current_user, scopes=["me"])):
        return user

    @app.get("/items")
    def items(user: dict = Security(current_user, scopes=["items", "read"])):
        return user

    return app


def test_security_scopes_collect_what_the_route_requires():
    client = TestClient(make_secure_app())
    assert client.get("/me", headers={"authorization": "Bearer me"}).json() == {
        "token": "me", "required": "me"}
    response = client.get("/items", headers={"authorization": "Bearer items"})
    assert (response.status_code, response.json()) == (403, {"detail": "missing scopes: read"})
    response = client.get("/items")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_security_schemes_and_requirements_reach_the_openapi_document():
    document = TestClient(make_secure_app()).get("/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer"}}
    assert document["paths"]["/items"]["get"]["security"] == [{"bearer": ["items", "read"]}]


def test_dependency_overrides_replace_a_dependency_for_tests_and_can_be_removed():
    def real_user():
        raise HTTPException(401)

    def fake_user(name: str = "tester"):
        return {"name": name}

    app = App()

    @app.get("/me")
    def me(user: dict = Depends(real_user)):
        return user

    client = TestClient(app)
    assert client.get("/me").status_code == 401
    app.dependency_overrides[real_user] = fake_user
    assert client.get("/me?name=ada").json() == {"name": "ada"}
    app.dependency_overrides.clear()
    assert client.get("/me").status_code == 401


def test_an_error_in_a_sub_dependency_is_reported_and_the_dependency_not_called():
    called = []

    def needs_int(number: int):
        called.append(number)

    app = App()

    @app.get("/")
    def index(_: None = Depends(needs_int), other: int = 0):
        return {}

    response = TestClient(app).get("/?number=x&other=y")
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [
        ["query", "number"], ["query", "other"]]
    assert called == []


def test_string_annotations_of_a_callable_instance_and_a_partial_are_resolved():
    import functools

    from tests.miniasgi import future_annotated_dependencies as module

    app = App()

    @app.get("/")
    def index(scheme: str = Depends(module.scheme),
              scaled: int = Depends(functools.partial(module.scaled, factor=3))):
        return {"scheme": scheme, "scaled": scaled}

    response = TestClient(app).get("/?number=2", headers={"x-api-key": "k"})
    assert response.json() == {"scheme": "GET k", "scaled": 6}


def test_an_override_reads_path_parameters_of_the_route():
    def real_owner(item_id: int):
        raise HTTPException(403)

    def fake_owner(item_id: int):
        return f"owner of {item_id}"

    app = App()

    @app.get("/items/{item_id}")
    def read(item_id: int, owner: str = Depends(real_owner)):
        return owner

    app.dependency_overrides[real_owner] = fake_owner
    assert TestClient(app).get("/items/9").json() == "owner of 9"
