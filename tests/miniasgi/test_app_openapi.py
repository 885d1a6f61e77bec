"""The app's OpenAPI wiring: routes -> operations -> a valid OpenAPI 3.1 document, and /docs."""

from typing import Annotated

import pytest
from openapi_spec_validator import validate

from miniasgi import (
    APIRouter,
    App,
    Body,
    Depends,
    File,
    Form,
    Header,
    HTMLResponse,
    Model,
    Query,
    UploadFile,
)
from miniasgi.testclient import TestClient


class Item(Model):
    name: str
    price: float


class ItemOut(Model):
    name: str


def make_app(**options):
    app = App(title="Shop", version="2.0", description="A shop", **options)

    @app.get("/items/{item_id:int}", response_model=ItemOut, tags=["items"],
             summary="Read one item", responses={404: {"description": "No such item"}})
    def read_item(item_id: int, q: Annotated[str | None, Query(max_length=5)] = None,
                  x_trace: str | None = Header(None)):
        """Read an item by its id."""
        return {"name": "x"}

    @app.post("/items", status_code=201, deprecated=True)
    def create_item(item: Item):
        return item

    @app.put("/items/{item_id}")
    def replace(item_id: int, item: Item, importance: int = Body(gt=0)):
        return {}

    @app.post("/login")
    def login(username: str = Form(), password: str = Form()):
        return {}

    @app.post("/upload")
    def upload(file: UploadFile = File(), note: str = Form("")):
        return {}

    @app.get("/page", response_class=HTMLResponse)
    def page():
        return "<p>hi</p>"

    @app.get("/hidden", include_in_schema=False)
    def hidden():
        return {}

    router = APIRouter(prefix="/admin", tags=["admin"])

    @router.delete("/users/{user_id}", status_code=204)
    def delete_user(user_id: int, _: None = Depends(lambda: None)):
        return None

    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def document():
    return TestClient(make_app()).get("/openapi.json").json()


def test_the_document_validates_against_the_openapi_3_1_schema(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Shop", "description": "A shop", "version": "2.0"}


def test_every_route_becomes_an_operation_and_hidden_ones_are_left_out(document):
    operations = {(path, method) for path, methods in document["paths"].items()
                  for method in methods}
    assert operations == {
        ("/items/{item_id}", "get"), ("/items", "post"), ("/items/{item_id}", "put"),
        ("/login", "post"), ("/upload", "post"), ("/page", "get"),
        ("/admin/users/{user_id}", "delete"),
    }


def test_an_operation_carries_its_parameters_summary_description_tags_and_responses(document):
    operation = document["paths"]["/items/{item_id}"]["get"]
    assert operation["summary"] == "Read one item"
    assert operation["description"] == "Read an item by its id."
    assert operation["tags"] == ["items"]
    assert operation["operationId"] == "read_item_items__item_id__get"
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("item_id", "path", True), ("q", "query", False), ("x-trace", "header", False)]
    assert operation["responses"]["404"]["description"] == "No such item"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemOut"}


def test_bodies_are_described_by_media_type(document):
    create = document["paths"]["/items"]["post"]
    assert create["deprecated"] is True
    assert "201" in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"}
    replace = document["paths"]["/items/{item_id}"]["put"]["requestBody"]
    assert replace["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Body_replace_items__item_id__put"}
    login = document["paths"]["/login"]["post"]["requestBody"]["content"]
    assert list(login) == ["application/x-www-form-urlencoded"]
    upload = document["paths"]["/upload"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]


def test_the_document_is_built_once_and_cached():
    app = make_app()
    client = TestClient(app)
    first = client.get("/openapi.json").json()
    assert app.openapi() is app.openapi()
    assert client.get("/openapi.json").json() == first


def test_the_docs_page_and_its_assets_are_served_offline():
    client = TestClient(make_app())
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "/openapi.json" in page.text
    assert "content-security-policy" in page.headers
    asset = client.get("/docs/assets/docs.js")
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert client.get("/docs/assets/nothing.js").status_code == 404


def test_openapi_url_none_turns_off_the_document_and_the_docs():
    client = TestClient(make_app(openapi_url=None))
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404


def test_docs_url_none_keeps_the_document_only():
    client = TestClient(make_app(docs_url=None))
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 404


# ---- the document equals FastAPI's for the same routes --------------------------------------


def build_for_comparison(framework, model_base, security_base, scheme_model):
    """The same routes in both frameworks: dependencies' parameters, aliases, cookies,
    security with scopes, routers, response classes, embedded and non-model bodies."""
    import fastapi.responses

    app = framework.FastAPI() if hasattr(framework, "FastAPI") else framework.App(
        title="FastAPI")
    html_response = getattr(framework, "HTMLResponse", fastapi.responses.HTMLResponse)

    class Item(model_base):
        name: str
        price: float = 0

    class Bearer(security_base):
        def __init__(self):
            self.scheme_name = "Bearer"
            self.model = scheme_model

        def openapi_scheme(self):
            return {"type": "http", "scheme": "bearer"}

        async def __call__(self, authorization: str | None = framework.Header(None)):
            return authorization

    bearer = Bearer()

    def common(skip: int = 0, limit: int = framework.Query(10, description="at most")):
        return skip

    router = framework.APIRouter(prefix="/r", tags=["r"])

    @router.get("/items/{item_id}", summary="Read", deprecated=True,
                responses={404: {"description": "No such item"}})
    def read_item(item_id: int, page=framework.Depends(common),
                  x_token: str = framework.Header(alias="X-Tok"),
                  session: str | None = framework.Cookie(None)):
        """Read one item."""
        return {}

    @router.delete("/items/{item_id}", status_code=204)
    def delete_item(item_id: int, token=framework.Security(bearer, scopes=["items:write"])):
        return None

    @router.get("/page", response_class=html_response)
    def page():
        return "<p>x</p>"

    @router.post("/embedded")
    def embedded(item: Item = framework.Body(embed=True)):
        return {}

    @router.post("/list")
    def many(items: list[Item]):
        return {}

    @router.post("/scalar")
    def scalar(number: int = framework.Body()):
        return {}

    @app.put("/items/{item_id}")
    def replace(item_id: int, item: Item, importance: float = framework.Body(ge=1)):
        return {}

    app.include_router(router)
    return app


def test_the_document_equals_fastapis_for_the_same_routes():
    import fastapi
    import pydantic
    from fastapi.openapi.models import HTTPBase
    from fastapi.security.base import SecurityBase as FastAPISecurityBase

    import miniasgi

    theirs = build_for_comparison(fastapi, pydantic.BaseModel, FastAPISecurityBase,
                                  HTTPBase(scheme="bearer")).openapi()
    ours = build_for_comparison(miniasgi, miniasgi.Model, miniasgi.SecurityBase, None).openapi()
    ours["info"]["version"] = theirs["info"]["version"]
    validate(ours)
    assert ours == theirs
