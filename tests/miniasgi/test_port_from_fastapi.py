"""The port test: a FastAPI tutorial-style app, rewritten for miniasgi by changing ONLY imports.

`fastapi_version()` and `miniasgi_version()` below are the same program: their
bodies differ only in the import lines at the top (the first test checks that,
line by line). Both apps get the same requests, and every status code and body
must be equal: the happy paths, a 404 HTTPException, 401/403 from dependencies,
422 validation errors (their loc/type/msg/input/ctx), the response_model
filter that keeps a password hash from leaving, and dependency overrides.
"""

import inspect

import pytest


def fastapi_version():
    from typing import Annotated

    from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, status
    from fastapi.testclient import TestClient
    from pydantic import BaseModel, Field

    class Image(BaseModel):
        url: str
        name: str

    class ItemIn(BaseModel):
        name: str = Field(min_length=1, max_length=50)
        description: str | None = None
        price: float = Field(gt=0)
        tax: float | None = None
        tags: list[str] = []
        images: list[Image] | None = None

    class ItemOut(BaseModel):
        id: int
        name: str
        price: float
        price_with_tax: float
        tags: list[str] = []

    class UserIn(BaseModel):
        username: str = Field(min_length=3)
        password: str = Field(min_length=8)
        email: str
        full_name: str | None = None

    class UserOut(BaseModel):
        username: str
        email: str
        full_name: str | None = None

    class UserInDB:
        def __init__(self, username, email, full_name, hashed_password):
            self.username = username
            self.email = email
            self.full_name = full_name
            self.hashed_password = hashed_password

    app = FastAPI()
    items_db: dict[int, dict] = {}
    users_db: dict[str, UserInDB] = {}

    async def common_parameters(q: str | None = None, skip: int = 0, limit: int = 100):
        return {"q": q, "skip": skip, "limit": limit}

    def get_token(x_token: Annotated[str, Header()]):
        if x_token != "fake-super-secret-token":
            raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED,
                                detail="X-Token header invalid",
                                headers={"WWW-Authenticate": "Token"})
        return x_token

    def get_current_user(token: Annotated[str, Depends(get_token)]):
        user = users_db.get("admin")
        if user is None:
            raise HTTPException(status_code=403, detail="No admin user yet")
        return user

    @app.get("/")
    async def root():
        return {"message": "Hello World"}

    @app.get("/items/")
    async def read_items(commons: Annotated[dict, Depends(common_parameters)]):
        found = list(items_db.values())[commons["skip"]:commons["skip"] + commons["limit"]]
        if commons["q"]:
            found = [item for item in found if commons["q"] in item["name"]]
        return {"items": found, "params": commons}

    @app.post("/items/", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
    async def create_item(item: ItemIn):
        item_id = len(items_db) + 1
        price_with_tax = item.price + (item.tax or 0)
        stored = {"id": item_id, **item.model_dump(), "price_with_tax": price_with_tax}
        items_db[item_id] = stored
        return stored

    @app.get("/items/{item_id}", response_model=ItemOut)
    async def read_item(item_id: Annotated[int, Path(ge=1, le=1000)],
                        q: Annotated[str | None, Query(max_length=10)] = None):
        if item_id not in items_db:
            raise HTTPException(status_code=404, detail="Item not found")
        return items_db[item_id]

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: ItemIn,
                          token: Annotated[str, Depends(get_token)]):
        if item_id not in items_db:
            raise HTTPException(status_code=404, detail="Item not found")
        items_db[item_id].update(item.model_dump())
        return {"item_id": item_id, "name": item.name}

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int, token: Annotated[str, Depends(get_token)]):
        items_db.pop(item_id, None)

    @app.post("/users/", response_model=UserOut, status_code=201)
    def create_user(user: UserIn):
        stored = UserInDB(user.username, user.email, user.full_name,
                          hashed_password="supersecret" + user.password)
        users_db[user.username] = stored
        return stored

    @app.get("/users/me", response_model=UserOut)
    def read_me(user: Annotated[UserInDB, Depends(get_current_user)]):
        return user

    @app.get("/users/{username}", response_model=UserOut)
    def read_user(username: str):
        if username not in users_db:
            raise HTTPException(status_code=404, detail=f"User {username} not found")
        return users_db[username]

    return app, TestClient, get_current_user, UserInDB


def miniasgi_version():
    from typing import Annotated

    from miniasgi import App as FastAPI
    from miniasgi import Depends, Field, Header, HTTPException, Path, Query, status
    from miniasgi import Model as BaseModel
    from miniasgi.testclient import TestClient

    class Image(BaseModel):
        url: str
        name: str

    class ItemIn(BaseModel):
        name: str = Field(min_length=1, max_length=50)
        description: str | None = None
        price: float = Field(gt=0)
        tax: float | None = None
        tags: list[str] = []
        images: list[Image] | None = None

    class ItemOut(BaseModel):
        id: int
        name: str
        price: float
        price_with_tax: float
        tags: list[str] = []

    class UserIn(BaseModel):
        username: str = Field(min_length=3)
        password: str = Field(min_length=8)
        email: str
        full_name: str | None = None

    class UserOut(BaseModel):
        username: str
        email: str
        full_name: str | None = None

    class UserInDB:
        def __init__(self, username, email, full_name, hashed_password):
            self.username = username
            self.email = email
            self.full_name = full_name
            self.hashed_password = hashed_password

    app = FastAPI()
    items_db: dict[int, dict] = {}
    users_db: dict[str, UserInDB] = {}

    async def common_parameters(q: str | None = None, skip: int = 0, limit: int = 100):
        return {"q": q, "skip": skip, "limit": limit}

    def get_token(x_token: Annotated[str, Header()]):
        if x_token != "fake-super-secret-token":
            raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED,
                                detail="X-Token header invalid",
                                headers={"WWW-Authenticate": "Token"})
        return x_token

    def get_current_user(token: Annotated[str, Depends(get_token)]):
        user = users_db.get("admin")
        if user is None:
            raise HTTPException(status_code=403, detail="No admin user yet")
        return user

    @app.get("/")
    async def root():
        return {"message": "Hello World"}

    @app.get("/items/")
    async def read_items(commons: Annotated[dict, Depends(common_parameters)]):
        found = list(items_db.values())[commons["skip"]:commons["skip"] + commons["limit"]]
        if commons["q"]:
            found = [item for item in found if commons["q"] in item["name"]]
        return {"items": found, "params": commons}

    @app.post("/items/", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
    async def create_item(item: ItemIn):
        item_id = len(items_db) + 1
        price_with_tax = item.price + (item.tax or 0)
        stored = {"id": item_id, **item.model_dump(), "price_with_tax": price_with_tax}
        items_db[item_id] = stored
        return stored

    @app.get("/items/{item_id}", response_model=ItemOut)
    async def read_item(item_id: Annotated[int, Path(ge=1, le=1000)],
                        q: Annotated[str | None, Query(max_length=10)] = None):
        if item_id not in items_db:
            raise HTTPException(status_code=404, detail="Item not found")
        return items_db[item_id]

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: ItemIn,
                          token: Annotated[str, Depends(get_token)]):
        if item_id not in items_db:
            raise HTTPException(status_code=404, detail="Item not found")
        items_db[item_id].update(item.model_dump())
        return {"item_id": item_id, "name": item.name}

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int, token: Annotated[str, Depends(get_token)]):
        items_db.pop(item_id, None)

    @app.post("/users/", response_model=UserOut, status_code=201)
    def create_user(user: UserIn):
        stored = UserInDB(user.username, user.email, user.full_name,
                          hashed_password="supersecret" + user.password)
        users_db[user.username] = stored
        return stored

    @app.get("/users/me", response_model=UserOut)
    def read_me(user: Annotated[UserInDB, Depends(get_current_user)]):
        return user

    @app.get("/users/{username}", response_model=UserOut)
    def read_user(username: str):
        if username not in users_db:
            raise HTTPException(status_code=404, detail=f"User {username} not found")
        return users_db[username]

    return app, TestClient, get_current_user, UserInDB


def body_without_imports(function) -> list[str]:
    lines = inspect.getsource(function).splitlines()[1:]
    return [line for line in lines if not line.strip().startswith(("from ", "import "))]


def test_the_two_programs_differ_only_in_their_imports():
    assert body_without_imports(fastapi_version) == body_without_imports(miniasgi_version)


TOKEN = {"x-token": "fake-super-secret-token"}
ITEM = {"name": "Foo", "description": "A foo", "price": 35.4, "tax": 3.2, "tags": ["a"],
        "images": [{"url": "http://example.com/a.png", "name": "A"}]}
ADMIN = {"username": "admin", "password": "correct horse", "email": "admin@example.com"}

# One conversation, in order: later requests see the state earlier ones created.
CONVERSATION = [
    ("GET", "/", {}),
    ("GET", "/items/", {}),
    ("POST", "/items/", {"json": ITEM}),
    ("POST", "/items/", {"json": {"name": "Bar", "price": 10}}),
    ("GET", "/items/", {"params": {"q": "Ba", "limit": "5"}}),
    ("GET", "/items/", {"params": {"skip": "x", "limit": "y"}}),
    ("GET", "/items/1", {}),
    ("GET", "/items/1", {"params": {"q": "much too long"}}),
    ("GET", "/items/99", {}),
    ("GET", "/items/0", {}),
    ("GET", "/items/abc", {}),
    ("POST", "/items/", {"json": {"name": "", "price": 0, "tags": [1, {"x": 1}],
                                  "images": [{"url": 1}]}}),
    ("POST", "/items/", {"json": {"price": "free"}}),
    ("POST", "/items/", {"content": b"not json", "headers": {"content-type": "application/json"}}),
    ("POST", "/items/", {}),
    ("PUT", "/items/1", {"json": {"name": "Baz", "price": 1.5}}),
    ("PUT", "/items/1", {"json": {"name": "Baz", "price": 1.5}, "headers": {"x-token": "bad"}}),
    ("PUT", "/items/1", {"json": {"name": "Baz", "price": 1.5}, "headers": TOKEN}),
    ("PUT", "/items/42", {"json": {"name": "Baz", "price": 1.5}, "headers": TOKEN}),
    ("GET", "/items/1", {}),
    ("DELETE", "/items/2", {"headers": TOKEN}),
    ("GET", "/items/", {}),
    ("GET", "/users/me", {"headers": TOKEN}),
    ("POST", "/users/", {"json": ADMIN}),
    ("POST", "/users/", {"json": {"username": "ab", "password": "short", "email": 5}}),
    ("GET", "/users/admin", {}),
    ("GET", "/users/nobody", {}),
    ("GET", "/users/me", {}),
    ("GET", "/users/me", {"headers": TOKEN}),
    ("PATCH", "/items/1", {}),
    ("GET", "/nowhere", {}),
]


@pytest.fixture(scope="module")
def answers():
    """Every request of the conversation, answered by each app: (status, body, headers)."""
    results = {}
    for name, version in (("fastapi", fastapi_version), ("miniasgi", miniasgi_version)):
        app, test_client_class, _, _ = version()
        client = test_client_class(app)
        results[name] = []
        for method, url, options in CONVERSATION:
            response = client.request(method, url, **options)
            body = response.json() if response.content else None
            results[name].append((response.status_code, body,
                                  response.headers.get("www-authenticate")))
    return results


@pytest.mark.parametrize("index", range(len(CONVERSATION)),
                         ids=[f"{m} {u} #{i}" for i, (m, u, _) in enumerate(CONVERSATION)])
def test_each_answer_equals_fastapis(answers, index):
    assert answers["miniasgi"][index] == answers["fastapi"][index]


def test_the_password_hash_never_leaves_in_either_version(answers):
    for name in ("fastapi", "miniasgi"):
        for _, body, _ in answers[name]:
            assert "hashed_password" not in str(body)
            assert "supersecret" not in str(body)


@pytest.mark.parametrize("version", [fastapi_version, miniasgi_version])
def test_dependency_overrides_work_the_same_in_both(version):
    app, test_client_class, get_current_user, user_class = version()
    app.dependency_overrides[get_current_user] = lambda: user_class(
        "tester", "t@example.com", None, "hash")
    response = test_client_class(app).get("/users/me")
    assert (response.status_code, response.json()) == (
        200, {"username": "tester", "email": "t@example.com", "full_name": None})
