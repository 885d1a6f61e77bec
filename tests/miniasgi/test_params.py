"""Parameters: where each argument comes from, how it is converted, and the 422 answers.

Each request here is sent to a miniasgi app and to the same app written with
FastAPI (the oracle): status codes and bodies must be equal, error bodies
included (`loc`, `type`, `msg`, `input`, `ctx`).
"""

from typing import Annotated

import fastapi
import pydantic
import pytest
from fastapi.testclient import TestClient as FastAPITestClient

import miniasgi
from miniasgi.testclient import TestClient


def build(framework, model_base, field):
    """The same endpoints, declared with `framework`'s names."""
    app = framework.App() if framework is miniasgi else framework.FastAPI()
    Query, Path, Header, Cookie, Body = (framework.Query, framework.Path, framework.Header,
                                         framework.Cookie, framework.Body)

    class Image(model_base):
        url: str
        width: int = field(gt=0)

    class Item(model_base):
        name: str = field(min_length=1, max_length=20)
        price: float = field(ge=0)
        tags: list[str] = []
        image: Image | None = None

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None, limit: int = 10,
                        short: bool = False):
        return {"item_id": item_id, "q": q, "limit": limit, "short": short}

    @app.get("/constrained/{code}")
    async def constrained(code: Annotated[str, Path(pattern="^[a-z]+$")],
                          page: Annotated[int, Query(ge=1, le=100)] = 1,
                          name: str = Query(None, min_length=2, max_length=5)):
        return {"code": code, "page": page, "name": name}

    @app.get("/lists")
    async def lists(tag: list[str] = Query([]), number: Annotated[list[int], Query()] = None):
        return {"tag": tag, "number": number}

    @app.get("/alias")
    async def alias(item_query: str = Query(alias="item-query")):
        return {"item_query": item_query}

    @app.get("/headers")
    async def headers(user_agent: str = Header(), x_token: list[str] = Header(None),
                      strange_header: str = Header(None, convert_underscores=False)):
        return {"user_agent": user_agent, "x_token": x_token, "strange": strange_header}

    @app.get("/cookies")
    async def cookies(session: str = Cookie(), theme: str = Cookie("light")):
        return {"session": session, "theme": theme}

    @app.post("/items")
    async def create_item(item: Item):
        return item

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: Item, importance: int = Body(),
                          q: str | None = None):
        return {"item_id": item_id, "item": item, "importance": importance, "q": q}

    @app.post("/embedded")
    async def embedded(item: Item = Body(embed=True)):
        return item

    @app.post("/raw-list")
    async def raw_list(numbers: list[int]):
        return {"sum": sum(numbers)}

    @app.post("/optional-body")
    async def optional_body(item: Item | None = None):
        return {"item": item}

    return app


mini_client = TestClient(build(miniasgi, miniasgi.Model, miniasgi.Field))
fastapi_client = FastAPITestClient(build(fastapi, pydantic.BaseModel, pydantic.Field))

ITEM = {"name": "hammer", "price": 9.5, "tags": ["tools"], "image": {"url": "u", "width": 3}}

REQUESTS = [
    # path and query: conversion, defaults, errors
    ("GET", "/items/5", {}),
    ("GET", "/items/5?q=hello&limit=3&short=yes", {}),
    ("GET", "/items/five?limit=ten&short=maybe", {}),
    ("GET", "/items/5?limit=", {}),
    ("GET", "/items/5?limit=1&limit=2", {}),
    ("GET", "/constrained/abc?page=5&name=ada", {}),
    ("GET", "/constrained/ABC?page=0&name=a", {}),
    ("GET", "/constrained/abc?page=101&name=toolong", {}),
    ("GET", "/lists?tag=a&tag=b&number=1&number=2", {}),
    ("GET", "/lists?number=1&number=x", {}),
    ("GET", "/lists", {}),
    ("GET", "/alias?item-query=found", {}),
    ("GET", "/alias?item_query=wrong-name", {}),
    # headers and cookies
    ("GET", "/headers", {"headers": {"user-agent": "ua", "x-token": "a"}}),
    ("GET", "/headers", {"headers": {"user-agent": "ua", "strange_header": "s"}}),
    ("GET", "/cookies", {"cookies": {"session": "abc"}}),
    ("GET", "/cookies", {"cookies": {"theme": "dark"}}),
    # bodies
    ("POST", "/items", {"json": ITEM}),
    ("POST", "/items", {"json": {"name": "", "price": -1, "image": {"url": 5, "width": 0}}}),
    ("POST", "/items", {"json": {"price": "cheap", "tags": "notalist"}}),
    ("POST", "/items", {"json": [1, 2]}),
    ("POST", "/items", {}),
    ("POST", "/items", {"content": b'{"name": "x", ', "headers": {"content-type": "application/json"}}),
    ("POST", "/items", {"content": b"name=x", "headers": {"content-type": "text/plain"}}),
    ("POST", "/items", {"content": b'{"name": "\xff"}', "headers": {"content-type": "application/json"}}),
    ("POST", "/items", {"content": b'{"name": "x", "price": 1}', "headers": {"content-type": "application/vnd.api+json"}}),
    ("POST", "/items", {"content": b'{"name": "x", "price": 1}', "headers": {"content-type": "application/json; charset=utf-8"}}),
    ("POST", "/items", {"content": b"null", "headers": {"content-type": "application/json"}}),
    ("PUT", "/items/3?q=z", {"json": {"item": ITEM, "importance": 5}}),
    ("PUT", "/items/3", {"json": {"item": {"name": "x"}}}),
    ("PUT", "/items/3", {"json": [1]}),
    ("POST", "/embedded", {"json": {"item": ITEM}}),
    ("POST", "/embedded", {"json": ITEM}),
    ("POST", "/raw-list", {"json": [1, 2, "3"]}),
    ("POST", "/raw-list", {"json": [1, "x"]}),
    ("POST", "/optional-body", {}),
    ("POST", "/optional-body", {"json": ITEM}),
]


@pytest.mark.parametrize(("method", "url", "options"), REQUESTS,
                         ids=[f"{m} {u} {sorted(o)}" for m, u, o in REQUESTS])
def test_the_answer_equals_fastapis(method, url, options):
    ours = mini_client.request(method, url, **options)
    theirs = fastapi_client.request(method, url, **options)
    assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())


def test_errors_are_collected_from_every_location_in_one_answer():
    response = mini_client.put("/items/x", json={"item": {"name": ""}, "importance": "high"})
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert locations == [["path", "item_id"], ["body", "item", "name"],
                         ["body", "item", "price"], ["body", "importance"]]


def test_a_query_parameter_declared_twice_in_markers_is_refused():
    app = miniasgi.App()
    with pytest.raises(TypeError, match="two markers"):
        @app.get("/x")
        def twice(q: Annotated[str, miniasgi.Query()] = miniasgi.Query()):
            return q


def test_an_annotation_the_validator_cannot_check_is_refused_at_import_time():
    app = miniasgi.App()

    class Unknown:
        pass

    with pytest.raises(TypeError, match="parameter 'thing' of read"):
        @app.get("/x")
        def read(thing: Unknown = miniasgi.Query()):
            return {}


def test_an_unsupported_marker_option_is_named():
    with pytest.raises(TypeError, match="unsupported option"):
        miniasgi.Query(None, frobnicate=True)


def test_depends_given_a_call_result_instead_of_a_function_says_so():
    with pytest.raises(TypeError, match=r"Depends\(get_db\), not Depends\(get_db\(\)\)"):
        miniasgi.Depends("a value")


# ---- property: any query string gets FastAPI's answer ---------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

QUERY_VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "-5", "1_000", " 7 ", "5.0", "5.5", "true", "no", "on",
                     "x", "1e3", "inf", "nan", "ada", "a" * 30]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["q", "limit", "short", "page", "name", "tag",
                                           "number", "other"]), QUERY_VALUES), max_size=6))
def test_any_query_string_gets_fastapis_answer(pairs):
    for url in ("/items/5", "/constrained/abc", "/lists"):
        ours = mini_client.get(url, params=pairs)
        theirs = fastapi_client.get(url, params=pairs)
        assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-5, 5),
                        st.sampled_from(["", "x", "2.5", "hammer", "true"]))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["name", "price", "tags", "image", "url", "width",
                                         "item", "importance", "extra"]), children,
                        max_size=4)),
    max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_any_json_body_gets_fastapis_answer_for_plain_embedded_and_mixed_bodies(value):
    for method, url in (("POST", "/items"), ("POST", "/embedded"), ("PUT", "/items/1"),
                        ("POST", "/raw-list"), ("POST", "/optional-body")):
        ours = mini_client.request(method, url, json=value)
        theirs = fastapi_client.request(method, url, json=value)
        assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json()), url
