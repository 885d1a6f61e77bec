"""Specification of miniasgi.openapi: the OpenAPI 3.1.0 document, in FastAPI's shape.

FastAPI is the oracle. Each test declares the same small API twice: once as a
FastAPI app (pydantic models, decorators) and once as the OperationInfo list that
miniasgi's App builds from its routes (miniasgi Models). The two documents must
be equal as JSON. Every document built here is also checked against the OpenAPI
3.1 schema with openapi-spec-validator.

Sections follow the OpenAPI 3.1.0 specification: §4.8.1 the OpenAPI Object,
§4.8.10 Operation, §4.8.12 Parameter, §4.8.13 Request Body, §4.8.16-17
Responses, §4.8.27/§4.8.30 Security Scheme and Requirement.

This module does not use `from __future__ import annotations`: FastAPI reads
the oracle apps' annotations at run time.
"""

import enum
import json
import keyword
import warnings
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from miniasgi.openapi import (
    OperationInfo,
    ParameterInfo,
    RequestBodyInfo,
    build_openapi,
    operation_id_from,
    summary_from_name,
    title_from_name,
)

# The OAuth2/bearer/API-key schemes as FastAPI's security classes describe them.
OAUTH2_SCHEME = {
    "type": "oauth2",
    "flows": {"password": {"scopes": {"read": "Read things"}, "tokenUrl": "token"}},
}
BEARER_SCHEME = {"type": "http", "scheme": "bearer"}
API_KEY_SCHEME = {"type": "apiKey", "in": "header", "name": "X-API-Key"}


def operation(function_name: str, path: str, method: str, **details) -> OperationInfo:
    """An OperationInfo as the App derives it from a decorated function."""
    details.setdefault("summary", summary_from_name(function_name))
    return OperationInfo(
        path=path,
        method=method,
        operation_id=operation_id_from(function_name, path, method),
        **details,
    )


def build(operations, **options) -> dict:
    options = {"title": "FastAPI", "version": "0.1.0"} | options
    document = build_openapi(operations=operations, **options)
    validate(document)  # the OpenAPI 3.1 meta-schema: every document must pass
    json.dumps(document)  # and it must be JSON as it is
    return document


def fastapi_document(app) -> dict:
    return json.loads(json.dumps(app.openapi()))


def assert_same_document(ours: dict, theirs: dict):
    # Compare path by path first: a failure then names the operation that differs.
    assert sorted(ours["paths"]) == sorted(theirs["paths"])
    for path in theirs["paths"]:
        assert ours["paths"][path] == theirs["paths"][path], path
    assert ours.get("components", {}).get("schemas") == theirs.get("components", {}).get(
        "schemas"
    )
    assert ours == theirs


# -- names derived from the endpoint (what the App passes in) -------------------------------


def test_operation_id_summary_and_title_are_derived_as_fastapi_derives_them():
    assert operation_id_from("read_item", "/items/{item_id}", "GET") == (
        "read_item_items__item_id__get"
    )
    assert summary_from_name("read_item") == "Read Item"
    assert title_from_name("item_id") == "Item Id"
    assert title_from_name("x-token") == "X-Token"


path_segments = st.lists(
    st.from_regex(r"[a-z][a-z0-9_]{0,8}|\{[a-z][a-z_]{0,6}\}", fullmatch=True),
    min_size=0,
    max_size=4,
    unique=True,  # Starlette refuses a path naming one parameter twice
)


@settings(max_examples=60, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
    segments=path_segments,
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
)
def test_operation_ids_and_summaries_match_fastapi_for_any_route(name, segments, method):
    from fastapi.routing import APIRoute
    from fastapi.utils import generate_unique_id

    def endpoint():
        pass

    endpoint.__name__ = name
    path = "/" + "/".join(segments)
    route = APIRoute(path, endpoint, methods=[method])
    assert operation_id_from(name, path, method) == generate_unique_id(route)
    assert summary_from_name(name) == route.name.replace("_", " ").title()


# -- §4.8.1 the OpenAPI Object and §4.8.2 Info ---------------------------------------------


def test_an_app_without_routes_is_a_valid_document_with_no_components():
    from fastapi import FastAPI

    theirs = fastapi_document(FastAPI(title="Empty", version="9", description="Nothing yet"))
    ours = build([], title="Empty", version="9", description="Nothing yet")
    assert ours == theirs == {
        "openapi": "3.1.0",
        "info": {"title": "Empty", "description": "Nothing yet", "version": "9"},
        "paths": {},
    }


def test_servers_are_written_when_given():
    document = build([], servers=[{"url": "https://api.example.com", "description": "prod"}])
    assert document["servers"] == [{"url": "https://api.example.com", "description": "prod"}]


# -- §4.8.10 Operation and §4.8.16 Responses, routes without inputs --------------------------


def test_operations_without_inputs_match_fastapi():
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, PlainTextResponse, Response

    app = FastAPI()

    @app.get("/")
    def root():
        """Say hello."""

    @app.delete("/things", status_code=204, tags=["things", "admin"], deprecated=True)
    def drop_things():
        pass

    @app.get("/page", response_class=HTMLResponse, summary="The page")
    def page():
        pass

    @app.get("/text", response_class=PlainTextResponse)
    def text():
        pass

    @app.get("/raw", response_class=Response)
    def raw():
        pass

    @app.get("/hidden", include_in_schema=False)
    def hidden():
        pass

    @app.post("/moved", status_code=304)
    def moved():
        pass

    ours = build(
        [
            operation("root", "/", "GET", description="Say hello."),
            operation(
                "drop_things", "/things", "DELETE", status_code=204, tags=["things", "admin"],
                deprecated=True,
            ),
            operation("page", "/page", "GET", summary="The page",
                      response_class_media_type="text/html"),
            operation("text", "/text", "GET", response_class_media_type="text/plain"),
            operation("raw", "/raw", "GET", response_class_media_type=None),
            operation("hidden", "/hidden", "GET", include_in_schema=False),
            operation("moved", "/moved", "POST", status_code=304),
        ]
    )  # fmt: skip
    assert_same_document(ours, fastapi_document(app))
    assert "/hidden" not in ours["paths"]
    assert "422" not in json.dumps(ours), "no inputs, so no validation error response"


def test_extra_responses_get_descriptions_and_merge_with_the_success_response():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get(
        "/e",
        responses={
            404: {"description": "Item not found"},
            418: {"description": "teapot", "content": {"image/png": {}}},
            "5XX": {},
            400: {},
            "default": {},
            299: {},
        },
    )
    def extras():
        pass

    @app.post(
        "/made",
        status_code=201,
        responses={201: {"description": "Made", "headers": {"X-Id": {"schema": {"type": "string"}}}}},
    )
    def make():
        pass

    ours = build(
        [
            operation(
                "extras", "/e", "GET",
                responses={
                    404: {"description": "Item not found"},
                    418: {"description": "teapot", "content": {"image/png": {}}},
                    "5XX": {},
                    400: {},
                    "default": {},
                    299: {},
                },
            ),
            operation(
                "make", "/made", "POST", status_code=201,
                responses={
                    201: {"description": "Made", "headers": {"X-Id": {"schema": {"type": "string"}}}}
                },
            ),
        ]
    )  # fmt: skip
    assert_same_document(ours, fastapi_document(app))
    responses = ours["paths"]["/e"]["get"]["responses"]
    assert responses["400"]["description"] == "Bad Request"
    assert responses["5XX"]["description"] == "Server Error"
    assert responses["default"]["description"] == "Default Response"
    assert responses["299"]["description"] == "Additional Response"


# -- §4.8.27 Security Schemes and §4.8.30 Security Requirements ------------------------------


def test_security_requirements_and_schemes_match_fastapi():
    from fastapi import Depends, FastAPI, Security
    from fastapi.security import APIKeyHeader, HTTPBearer, OAuth2PasswordBearer

    app = FastAPI()
    oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read things"})
    bearer = HTTPBearer()
    api_key = APIKeyHeader(name="X-API-Key")

    @app.get("/me", dependencies=[Depends(bearer)])
    def me():
        pass

    @app.get("/secret", dependencies=[Security(oauth2, scopes=["read"]), Depends(api_key)])
    def secret():
        pass

    ours = build(
        [
            operation("me", "/me", "GET", security=[{"HTTPBearer": []}]),
            operation(
                "secret", "/secret", "GET",
                security=[{"OAuth2PasswordBearer": ["read"]}, {"APIKeyHeader": []}],
            ),
        ],
        security_schemes={
            "OAuth2PasswordBearer": OAUTH2_SCHEME,
            "HTTPBearer": BEARER_SCHEME,
            "APIKeyHeader": API_KEY_SCHEME,
        },
    )  # fmt: skip
    assert_same_document(ours, fastapi_document(app))


# -- bad input: a clear error naming the route and the fix ----------------------------------


def test_an_unknown_parameter_location_is_refused_with_the_valid_ones():
    bad = operation("f", "/f", "GET", parameters=[ParameterInfo("q", "body", str)])
    with pytest.raises(ValueError, match=r"GET /f: parameter 'q' has location 'body': use one of"):
        build_openapi(title="t", version="1", operations=[bad])


def test_a_path_parameter_missing_from_the_template_is_refused():
    bad = operation("f", "/items", "GET", parameters=[ParameterInfo("item_id", "path", int)])
    with pytest.raises(ValueError, match=r"path parameter 'item_id' does not appear in the path"):
        build_openapi(title="t", version="1", operations=[bad])


def test_a_security_requirement_naming_an_unknown_scheme_is_refused():
    bad = operation("f", "/f", "GET", security=[{"OAuth2": []}])
    message = r"names scheme 'OAuth2', which is not in components.securitySchemes \(known: Key\)"
    with pytest.raises(ValueError, match=message):
        build_openapi(
            title="t", version="1", operations=[bad], security_schemes={"Key": API_KEY_SCHEME}
        )


def test_an_extra_response_that_is_not_a_dict_is_refused():
    bad = operation("f", "/f", "GET", responses={404: "Not found"})
    with pytest.raises(ValueError, match=r"responses\['404'\] is 'Not found': give a dict"):
        build_openapi(title="t", version="1", operations=[bad])


def test_duplicate_operation_ids_are_reported():
    same = [operation("f", "/f", "GET"), OperationInfo("/g", "GET", operation_id="f_f_get")]
    with pytest.warns(UserWarning, match=r"duplicate operationId 'f_f_get' \(GET /g\)"):
        build_openapi(title="t", version="1", operations=same)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_openapi(title="t", version="1", operations=[operation("f", "/f", "GET")])


# -- §4.8.12 Parameters, §4.8.13 Request Bodies, components.schemas: a whole shop --------------
#
# The FastAPI tutorial's shapes: path/query/header/cookie parameters with constraints,
# a model body, form and multipart bodies, embedded Body() fields, response models.


def fastapi_shop():
    from fastapi import Body, Cookie, Depends, FastAPI, File, Form, Header, Query
    from fastapi.security import APIKeyHeader, HTTPBearer, OAuth2PasswordBearer
    from pydantic import BaseModel, Field

    app = FastAPI(title="Shop", version="1.2.3", description="A shop")
    oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read things"})
    bearer = HTTPBearer()
    api_key = APIKeyHeader(name="X-API-Key")

    class Tag(BaseModel):
        name: str

    class Item(BaseModel):
        name: str = Field(min_length=1, description="the name")
        price: float = Field(gt=0)
        tags: list[Tag] = []
        note: str | None = None

    @app.get("/items/{item_id}", response_model=Item, tags=["items"])
    def read_item(
        item_id: int,
        q: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        x_token: Annotated[str | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
    ):
        pass

    @app.post("/items/", status_code=201, response_model=Item, tags=["items"],
              summary="Make one", description="Creates.")  # fmt: skip
    def create_item(item: Item):
        pass

    @app.delete("/items/{item_id}", deprecated=True, responses={404: {"description": "Not found"}})
    def delete_item(item_id: int, token: str = Depends(oauth2)):
        pass

    @app.post("/token")
    def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
        pass

    @app.post("/upload")
    def upload(file: Annotated[bytes, File()], name: Annotated[str, Form()]):
        pass

    @app.get("/me", dependencies=[Depends(bearer)])
    def me():
        pass

    @app.put("/embed/{x}")
    def embed(x: str, a: Annotated[int, Body()], b: Annotated[str, Body()] = "z"):
        pass

    @app.get("/list")
    def listing(ids: Annotated[list[int], Query()] = [], key: str = Depends(api_key)):  # noqa: B006
        pass

    return app


def miniasgi_shop():
    from miniasgi.models import Field, Model
    from miniasgi.validation import Constraints

    class Tag(Model):
        name: str

    class Item(Model):
        name: str = Field(min_length=1, description="the name")
        price: float = Field(gt=0)
        tags: list[Tag] = []
        note: str | None = None

    item_id = ParameterInfo("item_id", "path", int)
    form_text = (str, True, None, None)
    return dict(
        title="Shop",
        version="1.2.3",
        description="A shop",
        security_schemes={
            "OAuth2PasswordBearer": OAUTH2_SCHEME,
            "HTTPBearer": BEARER_SCHEME,
            "APIKeyHeader": API_KEY_SCHEME,
        },
        operations=[
            operation(
                "read_item", "/items/{item_id}", "GET", response_model=Item, tags=["items"],
                parameters=[
                    item_id,
                    ParameterInfo("q", "query", str | None, required=False),
                    ParameterInfo("limit", "query", int, required=False, default=10,
                                  constraints=Constraints(ge=1, le=100)),
                    ParameterInfo("x-token", "header", str | None, required=False),
                    ParameterInfo("session", "cookie", str | None, required=False),
                ],
            ),
            operation(
                "create_item", "/items/", "POST", status_code=201, response_model=Item,
                tags=["items"], summary="Make one", description="Creates.",
                request_body=RequestBodyInfo(Item, title="Item"),
            ),
            operation(
                "delete_item", "/items/{item_id}", "DELETE", deprecated=True,
                responses={404: {"description": "Not found"}}, parameters=[item_id],
                security=[{"OAuth2PasswordBearer": []}],
            ),
            operation(
                "login", "/token", "POST",
                request_body=RequestBodyInfo(
                    None, media_type="application/x-www-form-urlencoded",
                    fields={"username": form_text, "password": form_text},
                    title="Body_login_token_post",
                ),
            ),
            operation(
                "upload", "/upload", "POST",
                request_body=RequestBodyInfo(
                    None, media_type="multipart/form-data",
                    fields={"file": (bytes, True, None, None), "name": form_text},
                    title="Body_upload_upload_post",
                ),
            ),
            operation("me", "/me", "GET", security=[{"HTTPBearer": []}]),
            operation(
                "embed", "/embed/{x}", "PUT", parameters=[ParameterInfo("x", "path", str)],
                request_body=RequestBodyInfo(
                    None, fields={"a": (int, True, None, None), "b": (str, False, "z", None)},
                    title="Body_embed_embed__x__put",
                ),
            ),
            operation(
                "listing", "/list", "GET", security=[{"APIKeyHeader": []}],
                parameters=[ParameterInfo("ids", "query", list[int], required=False, default=[])],
            ),
        ],
    )  # fmt: skip


def test_the_shop_document_equals_fastapis():
    ours = build(**miniasgi_shop())
    assert_same_document(ours, fastapi_document(fastapi_shop()))


def test_the_validation_error_schemas_are_added_once_when_some_route_takes_input():
    schemas = build(**miniasgi_shop())["components"]["schemas"]
    assert list(schemas) == sorted(schemas), "components are sorted by name, as FastAPI does"
    assert schemas["ValidationError"]["required"] == ["loc", "msg", "type"]
    delete = build(**miniasgi_shop())["paths"]["/items/{item_id}"]["delete"]
    assert delete["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }


def fastapi_details():
    from fastapi import Body, FastAPI, File, Path, Query, UploadFile
    from pydantic import BaseModel

    app = FastAPI()

    class Color(enum.StrEnum):
        RED = "red"
        BLUE = "blue"

    class Item(BaseModel):
        name: str

    class Message(BaseModel):
        message: str

    @app.post("/scalar")
    def scalar(n: Annotated[int, Body()]):
        pass

    @app.post("/optional")
    def optional(item: Item | None = None):
        pass

    @app.get("/search", responses={404: {"model": Message}, 409: {"model": Message, "description": "Clash"}})
    def search(
        q: Annotated[str, Query(description="search text", deprecated=True, examples=["ab", "ac"],
                                min_length=2, max_length=5, pattern="^a", alias="query-text")],
        color: Color = Color.RED,
        shade: Annotated[Color | None, Query(description="second color")] = None,
        flag: bool = False,
    ):  # fmt: skip
        pass

    @app.post("/files")
    def files(
        many: Annotated[list[UploadFile], File()],
        one: UploadFile,
        maybe: Annotated[UploadFile | None, File()] = None,
    ):
        pass

    @app.get("/list", response_model=list[Item])
    def listing():
        pass

    @app.post("/embedded")
    def embedded(item: Annotated[Item, Body(embed=True)]):
        pass

    @app.get("/ratio/{p}")
    def ratio(p: Annotated[float, Path(gt=0, title="Custom")]):
        pass

    @app.post("/both", status_code=201)
    def both(item: Item, n: int):
        pass

    return app


def miniasgi_details():
    from miniasgi.models import Model
    from miniasgi.validation import Constraints

    class Color(enum.StrEnum):
        RED = "red"
        BLUE = "blue"

    class Item(Model):
        name: str

    class Message(Model):
        message: str

    class UploadFile:  # what the App passes for an uploaded file parameter
        pass

    return dict(
        title="FastAPI",
        version="0.1.0",
        operations=[
            operation("scalar", "/scalar", "POST", request_body=RequestBodyInfo(int, title="N")),
            operation(
                "optional", "/optional", "POST",
                request_body=RequestBodyInfo(Item | None, required=False, title="Item"),
            ),
            operation(
                "search", "/search", "GET",
                responses={404: {"model": Message}, 409: {"model": Message, "description": "Clash"}},
                parameters=[
                    ParameterInfo(
                        "query-text", "query", str, description="search text", deprecated=True,
                        examples=["ab", "ac"],
                        constraints=Constraints(min_length=2, max_length=5, pattern="^a"),
                    ),
                    ParameterInfo("color", "query", Color, required=False, default=Color.RED),
                    ParameterInfo("shade", "query", Color | None, required=False,
                                  description="second color"),
                    ParameterInfo("flag", "query", bool, required=False, default=False),
                ],
            ),
            operation(
                "files", "/files", "POST",
                request_body=RequestBodyInfo(
                    None, media_type="multipart/form-data", title="Body_files_files_post",
                    fields={
                        "many": (list[UploadFile], True, None, None),
                        "one": (UploadFile, True, None, None),
                        "maybe": (UploadFile | None, False, None, None),
                    },
                ),
            ),
            operation("listing", "/list", "GET", response_model=list[Item]),
            operation(
                "embedded", "/embedded", "POST",
                request_body=RequestBodyInfo(
                    None, fields={"item": (Item, True, None, None)}, title="Body_embedded_embedded_post"
                ),
            ),
            operation(
                "ratio", "/ratio/{p}", "GET",
                parameters=[ParameterInfo("p", "path", float, constraints=Constraints(gt=0),
                                          title="Custom")],
            ),
            operation(
                "both", "/both", "POST", status_code=201,
                parameters=[ParameterInfo("n", "query", int)],
                request_body=RequestBodyInfo(Item, title="Item"),
            ),
        ],
    )  # fmt: skip


def test_parameter_details_bodies_files_and_response_models_equal_fastapis():
    ours = build(**miniasgi_details())
    assert_same_document(ours, fastapi_document(fastapi_details()))


def test_an_optional_body_is_not_required_and_a_required_one_says_so():
    paths = build(**miniasgi_details())["paths"]
    assert "required" not in paths["/optional"]["post"]["requestBody"]
    assert paths["/both"]["post"]["requestBody"]["required"] is True


def test_uploaded_files_are_octet_stream_strings():
    schemas = build(**miniasgi_details())["components"]["schemas"]
    files = schemas["Body_files_files_post"]["properties"]
    file_schema = {"type": "string", "contentMediaType": "application/octet-stream"}
    assert files["one"] == file_schema | {"title": "One"}
    assert files["many"]["items"] == file_schema
    assert files["maybe"]["anyOf"] == [file_schema, {"type": "null"}]


def test_a_path_parameter_is_always_required_even_if_declared_optional():
    document = build(
        [operation("f", "/f/{x}", "GET", parameters=[ParameterInfo("x", "path", str, False)])]
    )
    assert document["paths"]["/f/{x}"]["get"]["parameters"][0]["required"] is True


def test_a_route_that_documents_its_own_4xx_gets_no_extra_422():
    document = build(
        [
            operation("f", "/f", "GET", parameters=[ParameterInfo("q", "query", int)],
                      responses={"4XX": {"description": "Client error"}}),
        ]
    )  # fmt: skip
    responses = document["paths"]["/f"]["get"]["responses"]
    assert set(responses) == {"200", "4XX"}
    assert "HTTPValidationError" in document["components"]["schemas"]


# -- the law: whatever the routes, the document is valid OpenAPI 3.1 ------------------------

SCALAR_ANNOTATIONS = [int, str, float, bool, int | None, list[int], list[str] | None]
names = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)


@st.composite
def operations_lists(draw):
    operations = []
    for index in range(draw(st.integers(0, 5))):
        path_names = draw(st.lists(names, max_size=2, unique=True))
        path = f"/r{index}" + "".join("/{" + name + "}" for name in path_names)
        parameters = [ParameterInfo(name, "path", draw(st.sampled_from([int, str])))
                      for name in path_names]  # fmt: skip
        for name in draw(st.lists(names, max_size=3, unique=True)):
            if name in path_names:
                continue
            parameters.append(ParameterInfo(
                name, draw(st.sampled_from(["query", "header", "cookie"])),
                draw(st.sampled_from(SCALAR_ANNOTATIONS)), required=draw(st.booleans()),
                description=draw(st.none() | st.text(max_size=10)),
                deprecated=draw(st.booleans()),
            ))  # fmt: skip
        body = None
        if draw(st.booleans()):
            media_type = draw(st.sampled_from(["application/json", *FORM_TYPES]))
            fields = {name: (draw(st.sampled_from(SCALAR_ANNOTATIONS)), draw(st.booleans()), None,
                             None) for name in draw(st.lists(names, min_size=1, max_size=3))}  # fmt: skip
            body = RequestBodyInfo(None, media_type=media_type, fields=fields,
                                   title=f"Body_{index}", required=draw(st.booleans()))  # fmt: skip
        operations.append(operation(
            f"endpoint_{index}", path, draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
            parameters=parameters, request_body=body,
            status_code=draw(st.sampled_from([200, 201, 202, 204, 302])),
            tags=draw(st.lists(names, max_size=2)),
            responses={code: {} for code in draw(st.lists(
                st.sampled_from([400, 404, "5XX", "default", 422]), max_size=2, unique=True))},
            security=draw(st.sampled_from([[], [{"HTTPBearer": []}], [{"OAuth2": ["read"]}]])),
            response_class_media_type=draw(st.sampled_from(["application/json", "text/html", None])),
            response_model=draw(st.sampled_from([None, int, list[str], dict[str, int]])),
        ))  # fmt: skip
    return operations


FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]


@settings(max_examples=40, deadline=None)
@given(operations=operations_lists())
def test_any_set_of_routes_gives_a_valid_openapi_31_document(operations):
    schemes = {"HTTPBearer": BEARER_SCHEME, "OAuth2": OAUTH2_SCHEME}
    document = build(operations, security_schemes=schemes)  # build() validates it
    described = {
        (path, method) for path, item in document["paths"].items() for method in item
    }
    assert described == {(each.path, each.method.lower()) for each in operations}
    for each in operations:
        responses = document["paths"][each.path][each.method.lower()]["responses"]
        takes_input = bool(each.parameters) or each.request_body is not None
        documented = {str(code).upper() for code in each.responses}
        covered = documented & {"422", "4XX", "DEFAULT"}
        assert ("422" in responses) == ("422" in documented or (takes_input and not covered))


# -- the oracle at scale: random endpoints declared in FastAPI and here agree ----------------

PARAMETER_KINDS = {
    # annotation: a strategy for a default value of that type
    int: st.integers(-5, 5),
    float: st.sampled_from([0.5, 2.0, -1.25]),
    str: st.text(alphabet="abc xyz", max_size=4),
    bool: st.booleans(),
    int | None: st.none() | st.integers(0, 3),
    str | None: st.none(),
    list[int]: st.sampled_from([[], [1, 2]]),
}


@st.composite
def endpoint_parameters(draw):
    """[(python name, location, annotation, required, default, constraint keywords)]"""
    declared = []
    identifiers = names.filter(lambda name: not keyword.iskeyword(name))  # "if" cannot be one
    for name in draw(st.lists(identifiers, max_size=4, unique=True)):
        annotation = draw(st.sampled_from(list(PARAMETER_KINDS)))
        location = "query" if annotation == list[int] else draw(
            st.sampled_from(["query", "header", "cookie"]))  # fmt: skip
        required = draw(st.booleans())
        default = None if required else draw(PARAMETER_KINDS[annotation])
        keywords = {}
        # Constraints the default keeps: a default that breaks them is an invalid document
        # (openapi-spec-validator checks defaults), in FastAPI's output as in ours.
        if annotation in (int, float) and draw(st.booleans()):
            low, high = draw(st.integers(-3, 0)), draw(st.integers(1, 9))
            if required or low <= default <= high:
                keywords = {"ge": low, "le": high}
        if annotation is str and draw(st.booleans()):
            minimum = draw(st.integers(0, 2))
            if required or minimum <= len(default):
                keywords = {"min_length": minimum, "max_length": 8}
        declared.append((name, location, annotation, required, default, keywords))
    return declared


def fastapi_endpoint_app(declared, status_code, tags):
    import inspect

    from fastapi import Cookie, FastAPI, Header, Query

    markers = {"query": Query, "header": Header, "cookie": Cookie}

    def endpoint(**values):
        return values

    endpoint.__signature__ = inspect.Signature([
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[annotation, markers[location](**keywords)],
            default=inspect.Parameter.empty if required else default,
        )
        for name, location, annotation, required, default, keywords in declared
    ])  # fmt: skip
    app = FastAPI()
    app.get("/endpoint", status_code=status_code, tags=tags)(endpoint)
    return app


@settings(max_examples=30, deadline=None)
@given(
    declared=endpoint_parameters(),
    status_code=st.sampled_from([200, 201, 204]),
    tags=st.lists(names, max_size=2),
)
def test_random_endpoints_are_described_exactly_as_fastapi_describes_them(
    declared, status_code, tags
):
    from miniasgi.validation import Constraints

    parameters = [
        ParameterInfo(
            name.replace("_", "-") if location == "header" else name,  # FastAPI's header names
            location, annotation, required=required, default=default,
            constraints=Constraints(**keywords) if keywords else None,
        )
        for name, location, annotation, required, default, keywords in declared
    ]  # fmt: skip
    ours = build([
        operation("endpoint", "/endpoint", "GET", parameters=parameters,
                  status_code=status_code, tags=tags),
    ])  # fmt: skip
    theirs = fastapi_document(fastapi_endpoint_app(declared, status_code, tags))
    assert_same_document(ours, theirs)


# -- through the App: a FastAPI app ported by changing only its imports ----------------------
#
# The same source text runs under two import headers, FastAPI's and miniasgi's, and the
# two apps must publish the same document: this checks the App's route -> OperationInfo
# step and this module's OperationInfo -> document step together.

PORTED_APP_SOURCE = '''
import enum
from typing import Annotated


class Color(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Tag(Model):
    name: str


class Item(Model):
    name: str = Field(min_length=1, description="the name")
    price: float = Field(gt=0)
    tags: list[Tag] = []
    note: str | None = None


app = App(title="Shop", version="1.2.3", description="A shop")
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read items"})


@app.get("/items/{item_id}", response_model=Item, tags=["items"])
def read_item(item_id: int, q: str | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 10,
              x_token: Annotated[str | None, Header()] = None,
              session: Annotated[str | None, Cookie()] = None):
    """Read one item."""


@app.post("/items/", status_code=201, response_model=Item, tags=["items"], summary="Make one")
def create_item(item: Item, token: Annotated[str, Security(oauth2, scopes=["read"])]):
    pass


@app.get("/")
def root():
    pass


@app.delete("/items/{item_id}", deprecated=True, status_code=204,
            responses={404: {"description": "Not found"}})
def delete_item(item_id: Annotated[int, Path(ge=1, title="The id")],
                token: Annotated[str, Depends(oauth2)]):
    pass


@app.post("/token")
def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
    pass


@app.post("/upload")
def upload(file: Annotated[bytes, File()], many: list[UploadFile],
           name: Annotated[str, Form(min_length=3)] = "xyz",
           maybe: Annotated[UploadFile | None, File()] = None):
    pass


@app.get("/aliases", status_code=202)
def aliases(item_query: Annotated[str, Query(alias="item-query", max_length=9)],
            user_agent: Annotated[str | None, Header(alias="User-Agent")] = None,
            tracker: Annotated[int | None, Cookie(description="visit count")] = None):
    pass


@app.put("/embed/{x}")
def embed(x: str, a: Annotated[int, Body()], b: Annotated[str, Body()] = "z"):
    pass


@app.post("/scalar")
def scalar(n: Annotated[int, Body()]):
    pass


@app.post("/optional")
def optional(payload: Item | None = None):
    pass


@app.post("/embedded")
def embedded(item: Annotated[Item, Body(embed=True)]):
    pass


@app.get("/list", response_model=list[Item])
def listing(ids: Annotated[list[int], Query()] = [], color: Color = Color.RED,
            shade: Annotated[Color | None, Query(description="second", deprecated=True)] = None):
    pass


@app.get("/page", response_class=HTMLResponse)
def page():
    pass


def common(skip: int = 0, limit: int = 10):
    return {"skip": skip, "limit": limit}


@app.get("/users/")
def users(commons: Annotated[dict, Depends(common)]):
    pass


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(oauth2)])


@router.get("/stats/{day}", operation_id="get_stats", responses={403: {"description": "No"}})
def stats(day: str, full: bool = False):
    pass


@router.get("/hidden", include_in_schema=False)
def hidden():
    pass


app.include_router(router)
'''

FASTAPI_IMPORTS = """
from fastapi import APIRouter, FastAPI as App
from fastapi import Body, Cookie, Depends, File, Form, Header, Path, Query, Security, UploadFile
from fastapi.responses import HTMLResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel as Model, Field
"""

MINIASGI_IMPORTS = """
from miniasgi import APIRouter, App, Body, Cookie, Depends, File, Form, Header, Path, Query
from miniasgi import Security
from miniasgi import UploadFile, HTMLResponse, Model, Field, Request, SecurityBase


class OAuth2PasswordBearer(SecurityBase):
    # miniauth provides the real one; the document needs only its openapi_scheme().
    def __init__(self, tokenUrl, scopes=None):
        self.token_url, self.scopes = tokenUrl, scopes or {}

    def openapi_scheme(self):
        flow = {"scopes": self.scopes, "tokenUrl": self.token_url}
        return {"type": "oauth2", "flows": {"password": flow}}

    def __call__(self, request: Request):
        return request.headers.get("authorization", "")
"""


def ported_app(imports: str):
    namespace = {"__name__": "ported_app"}
    exec(imports + PORTED_APP_SOURCE, namespace)  # our own source text, two headers
    return namespace["app"]


def test_an_app_ported_from_fastapi_by_its_imports_publishes_the_same_document():
    theirs = fastapi_document(ported_app(FASTAPI_IMPORTS))
    app = ported_app(MINIASGI_IMPORTS)
    ours = app.openapi()
    validate(ours)
    assert_same_document(json.loads(json.dumps(ours)), theirs)


def test_the_app_serves_the_document_and_the_docs_page_and_its_assets():
    from miniasgi.testclient import TestClient

    app = ported_app(MINIASGI_IMPORTS)
    with TestClient(app) as client:
        document = client.get("/openapi.json")
        page = client.get("/docs")
        script = client.get("/docs/assets/docs.js")
        missing = client.get("/docs/assets/..%2Fopenapi.py")
    assert document.status_code == 200
    assert document.json() == json.loads(json.dumps(app.openapi()))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert missing.status_code == 404


def test_a_route_with_two_methods_gets_one_operation_id_per_method():
    # A deliberate difference: FastAPI derives one id from whichever method its set
    # yields first and gives it to both operations (then warns that ids repeat).
    from miniasgi import App

    app = App()

    @app.api_route("/both", methods=["GET", "POST"])
    def both_methods():
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        operations = app.openapi()["paths"]["/both"]
    assert operations["get"]["operationId"] == "both_methods_both_get"
    assert operations["post"]["operationId"] == "both_methods_both_post"


def test_info_fields_and_tag_descriptions_match_fastapis_app_options():
    from fastapi import FastAPI

    options = {
        "summary": "Short",
        "terms_of_service": "https://example.com/terms",
        "contact": {"name": "Shop team", "url": "https://example.com/contact"},
        "license_info": {"name": "MIT", "identifier": "MIT"},
    }
    tags = [{"name": "items", "description": "Things to sell"}, {"name": "users"}]
    app = FastAPI(title="Shop", version="1", openapi_tags=tags, **options)

    @app.get("/a", tags=["items"])
    def a():
        pass

    ours = build([operation("a", "/a", "GET", tags=["items"])], title="Shop", version="1",
                 tags=tags, **options)  # fmt: skip
    assert ours == fastapi_document(app)
    assert list(ours["info"]) == [
        "title", "summary", "termsOfService", "contact", "license", "version"
    ]  # fmt: skip


# -- random models: body and response model described as FastAPI describes them ------------


class Shade(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


def _nested_models():
    import pydantic

    from miniasgi.models import Model

    class Nested(pydantic.BaseModel):
        x: int

    fastapi_nested = Nested

    class Nested(Model):  # noqa: F811 - the same name on purpose: it is the schema's name
        x: int

    return fastapi_nested, Nested


def _field_kinds():
    """(pydantic annotation, miniasgi annotation, strategy for a default) triples."""
    import datetime
    import uuid
    from typing import Literal

    theirs, ours = _nested_models()
    same = [
        (int, st.integers(-3, 3)), (str, st.text("ab", max_size=3)), (float, st.just(1.5)),
        (bool, st.booleans()), (int | None, st.none() | st.just(2)), (list[int], st.just([1])),
        (dict[str, int], st.just({"a": 1})), (datetime.datetime, st.nothing()),
        (uuid.UUID, st.nothing()), (Literal["a", "b"], st.just("a")),
        (Shade, st.just(Shade.DARK)), (set[str], st.nothing()), (tuple[int, str], st.nothing()),
    ]  # fmt: skip
    return [(annotation, annotation, defaults) for annotation, defaults in same] + [
        (theirs, ours, st.nothing()),
        (list[theirs], list[ours], st.just([])),
        (theirs | None, ours | None, st.none()),
    ]


FIELD_KINDS = _field_kinds()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_models_as_body_and_response_are_described_as_fastapi_describes_them(data):
    import pydantic
    from fastapi import FastAPI

    from miniasgi.models import Field, Model

    theirs_fields, our_annotations, our_defaults = {}, {}, {}
    # Names ending in "_" have their own test below.
    model_field_names = st.from_regex(r"[a-z][a-z_]{0,6}[a-z]?", fullmatch=True).filter(
        lambda name: not name.endswith("_")
    )
    for name in data.draw(st.lists(model_field_names, min_size=1, max_size=5, unique=True)):
        theirs_annotation, our_annotation, defaults = data.draw(st.sampled_from(FIELD_KINDS))
        default = data.draw(defaults | st.just(...))  # ... is "required"
        description = data.draw(st.none() | st.just("about " + name))
        theirs_fields[name] = (theirs_annotation, pydantic.Field(default, description=description))
        our_annotations[name] = our_annotation
        our_defaults[name] = Field(default, description=description)
    theirs_model = pydantic.create_model("Thing", **theirs_fields)
    our_model = type("Thing", (Model,), {"__annotations__": our_annotations, **our_defaults})

    app = FastAPI()

    @app.post("/things", response_model=theirs_model)
    def make_thing(thing: theirs_model):
        pass

    ours = build([
        operation("make_thing", "/things", "POST", response_model=our_model,
                  request_body=RequestBodyInfo(our_model, title="Thing")),
    ])  # fmt: skip
    assert_same_document(json.loads(json.dumps(ours)), fastapi_document(app))


def test_blanks_left_by_underscores_stay_in_parameter_titles_but_not_in_property_titles():
    from fastapi import Body, FastAPI, Form

    app = FastAPI()

    @app.post("/form")
    def form(q_: Annotated[str, Form()], b_c_: Annotated[str, Form()]):
        pass

    @app.post("/single")
    def single(n_: Annotated[int, Body()], page_: int = 1):
        pass

    ours = build([
        operation("form", "/form", "POST", request_body=RequestBodyInfo(
            None, media_type="application/x-www-form-urlencoded", title="Body_form_form_post",
            fields={"q_": (str, True, None, None), "b_c_": (str, True, None, None)})),
        operation("single", "/single", "POST",
                  parameters=[ParameterInfo("page_", "query", int, required=False, default=1)],
                  request_body=RequestBodyInfo(int, title=title_from_name("n_"))),
    ])  # fmt: skip
    assert_same_document(ours, fastapi_document(app))
    properties = ours["components"]["schemas"]["Body_form_form_post"]["properties"]
    assert [properties["q_"]["title"], properties["b_c_"]["title"]] == ["Q", "B C"]
    assert ours["paths"]["/single"]["post"]["parameters"][0]["schema"]["title"] == "Page "


def test_a_model_field_ending_in_an_underscore_has_a_stripped_title_as_in_fastapi():
    import pydantic

    from miniasgi.models import Model

    class Theirs(pydantic.BaseModel):
        from_: int
        x_y_: str

    class Ours(Model):
        from_: int
        x_y_: str

    document = build([operation("f", "/f", "GET", response_model=Ours)])
    properties = document["components"]["schemas"]["Ours"]["properties"]
    expected = Theirs.model_json_schema()["properties"]
    assert [properties["from_"]["title"], properties["x_y_"]["title"]] == ["From", "X Y"]
    assert [expected["from_"]["title"], expected["x_y_"]["title"]] == ["From", "X Y"]


def test_constraints_on_an_optional_value_apply_to_its_non_null_member_as_in_fastapi():
    # {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}: JSON Schema would
    # ignore a "minimum" beside the anyOf for null, but pydantic writes it inside.
    from fastapi import FastAPI, Query

    from miniasgi.validation import Constraints

    app = FastAPI()

    @app.get("/count")
    def count(
        n: Annotated[int | None, Query(ge=0)] = None,
        tags: Annotated[list[str] | None, Query(max_length=3)] = None,
    ):
        pass

    ours = build([
        operation("count", "/count", "GET", parameters=[
            ParameterInfo("n", "query", int | None, required=False,
                          constraints=Constraints(ge=0)),
            ParameterInfo("tags", "query", list[str] | None, required=False,
                          constraints=Constraints(max_length=3)),
        ]),
    ])  # fmt: skip
    assert_same_document(ours, fastapi_document(app))


def fastapi_described_form():
    from fastapi import FastAPI, File, Form, UploadFile

    app = FastAPI()

    @app.post("/described")
    def described(
        name: Annotated[str, Form(description="who you are")],
        photo: Annotated[UploadFile | None, File(description="a picture")] = None,
    ):
        pass

    return app


def test_form_field_descriptions_are_written_into_the_body_properties():
    ours = build([
        operation("described", "/described", "POST", request_body=RequestBodyInfo(
            None, media_type="multipart/form-data", title="Body_described_described_post",
            fields={"name": (str, True, None, None, "who you are"),
                    "photo": (UploadFile | None, False, None, None, "a picture")})),
    ])  # fmt: skip
    assert_same_document(ours, fastapi_document(fastapi_described_form()))


class UploadFile:  # stands for miniasgi.UploadFile: the document knows it by its name
    pass


def test_form_field_descriptions_reach_the_document_through_the_app():
    from miniasgi import App, File, Form
    from miniasgi import UploadFile as MiniUploadFile

    app = App(title="FastAPI", version="0.1.0")

    @app.post("/described")
    def described(
        name: Annotated[str, Form(description="who you are")],
        photo: Annotated[MiniUploadFile | None, File(description="a picture")] = None,
    ):
        pass

    ours = json.loads(json.dumps(app.openapi()))
    assert_same_document(ours, fastapi_document(fastapi_described_form()))


PORTED_APP_SOURCE_WITH_DATACLASSES_AND_SCOPES = '''
import dataclasses, datetime, uuid
from typing import Annotated, Literal

class Message(Model):
    detail: str

@dataclasses.dataclass
class Point:
    x: int
    y: int = 0

class User(Model):
    id: uuid.UUID
    created: datetime.datetime
    role: Literal["admin", "user"] = "user"
    scores: dict[str, float] = {}

app = App(title="Ported", version="2")
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Me", "items": "Items"})

def current_user(token: Annotated[str, Security(oauth2, scopes=["me"])]):
    return token

@app.get("/users/me", response_model=User, responses={404: {"model": Message, "description": "Gone"}})
def me(user: Annotated[str, Security(current_user, scopes=["items"])]):
    pass

@app.post("/points")
def points(point: Point, more: list[Point] | None = None):
    pass

@app.post("/mapping")
def mapping(data: dict[str, int]):
    pass

@app.post("/listbody")
def listbody(users: list[User]):
    pass

@app.put("/items/{item_id}")
def put(item_id: uuid.UUID, when: datetime.date, body: Annotated[User, Body(embed=True)], q: Annotated[list[str], Query()] = ["a"]):
    pass

router = APIRouter(prefix="/r", responses={418: {"description": "teapot"}})
@router.get("/x", response_model=Message | None)
def x():
    pass
app.include_router(router, prefix="/v1", tags=["v1"])

@app.head("/ping")
def ping():
    pass
'''


def test_a_second_ported_app_with_dataclasses_nested_scopes_and_routers_matches_too():
    def document(imports):
        namespace = {"__name__": "ported_app_2"}
        exec(imports + PORTED_APP_SOURCE_WITH_DATACLASSES_AND_SCOPES, namespace)
        return json.loads(json.dumps(namespace["app"].openapi()))

    ours = document(MINIASGI_IMPORTS)
    validate(ours)
    assert_same_document(ours, document(FASTAPI_IMPORTS))
    me = ours["paths"]["/users/me"]["get"]
    assert me["security"] == [{"OAuth2PasswordBearer": ["items", "me"]}]


def test_the_success_response_description_can_be_changed_as_in_fastapi():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/made", response_description="The item, as stored")
    def made():
        pass

    ours = build([operation("made", "/made", "GET", response_description="The item, as stored")])
    assert_same_document(ours, fastapi_document(app))
