"""Routing: path templates, converters, matching, 404/405, trailing-slash redirects, routers."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniasgi import APIRouter, App, Depends, HTTPException
from miniasgi.routing import CompiledPath
from miniasgi.testclient import TestClient

# ---- path templates compiled once -----------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/items/{item_id}", "/items/42", {"item_id": "42"}),
        ("/items/{item_id:int}", "/items/42", {"item_id": 42}),
        ("/items/{item_id:int}", "/items/x", None),
        ("/files/{file_path:path}", "/files/a/b/c.txt", {"file_path": "a/b/c.txt"}),
        ("/items/{item_id}", "/items/a/b", None),
        ("/prices/{value:float}", "/prices/1.5", {"value": 1.5}),
        ("/users/{user_id:uuid}", "/users/12345678-1234-5678-1234-567812345678",
         {"user_id": uuid.UUID("12345678-1234-5678-1234-567812345678")}),
        ("/static", "/static", {}),
        ("/static", "/static/", None),
        ("/a.b/{x}", "/aXb/1", None),  # the literal part is escaped, not a regex
    ],
)
def test_a_compiled_template_matches_and_converts_path_parameters(template, path, expected):
    assert CompiledPath(template).match(path) == expected


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("/items/{item_id", "unclosed"),
        ("/items/{item_id:number}", "unknown converter 'number'"),
        ("items", "must start with '/'"),
        ("/{a}/{a}", "twice"),
        ("/{1abc}", "identifier"),
    ],
)
def test_a_bad_template_is_refused_with_a_message_saying_what_to_write(template, complaint):
    with pytest.raises(ValueError, match=complaint):
        CompiledPath(template)


def test_the_openapi_form_of_a_template_drops_converters():
    assert CompiledPath("/items/{item_id:int}/{rest:path}").openapi_path == "/items/{item_id}/{rest}"


@given(st.text(alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)),
               min_size=1, max_size=20))
def test_any_single_segment_matches_a_plain_parameter(segment):
    assert CompiledPath("/items/{name}").match("/items/" + segment) == {"name": segment}


# ---- matching requests ----------------------------------------------------------------------


def make_app():
    app = App()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id}

    @app.put("/items/{item_id}")
    async def replace_item(item_id: int):
        return {"replaced": item_id}

    @app.get("/files/{file_path:path}")
    def read_file(file_path: str):
        return {"file_path": file_path}

    @app.get("/users/")
    async def list_users():
        return ["ada"]

    @app.api_route("/both", methods=["GET", "POST"])
    async def both(request_method: str = "x"):
        return {"ok": True}

    return app


client = TestClient(make_app())


def test_a_path_parameter_is_typed_from_the_annotation():
    response = client.get("/items/42")
    assert response.status_code == 200
    assert response.json() == {"item_id": 42}


def test_a_path_converter_takes_the_rest_of_the_path_slashes_included():
    assert client.get("/files/docs/a/b.txt").json() == {"file_path": "docs/a/b.txt"}


def test_no_matching_route_answers_404_not_found():
    response = client.get("/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_wrong_method_answers_405_with_an_allow_header_listing_every_route_on_the_path():
    response = client.delete("/items/1")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "GET, HEAD, PUT"


def test_the_first_route_whose_method_fits_wins():
    assert client.put("/items/3").json() == {"replaced": 3}


def test_a_missing_trailing_slash_is_redirected_with_307():
    response = client.get("/users", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users/"
    assert client.get("/users").json() == ["ada"]


def test_an_extra_trailing_slash_is_redirected_too():
    response = client.get("/items/5/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/items/5"


def test_head_on_a_get_route_sends_the_head_without_the_body():
    response = client.head("/items/42")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(b'{"item_id":42}'))


def test_api_route_registers_several_methods():
    assert client.post("/both").status_code == 200
    assert client.get("/both").status_code == 200


def test_url_path_for_builds_a_path_from_a_route_name():
    app = make_app()
    assert app.url_path_for("read_item", item_id=7) == "/items/7"
    with pytest.raises(LookupError, match="no route named 'nope'"):
        app.url_path_for("nope")
    with pytest.raises(ValueError, match="needs path parameters"):
        app.url_path_for("read_item")


def test_a_decorator_without_a_path_is_refused():
    app = App()
    with pytest.raises(TypeError, match="with the path"):
        @app.get
        def index():
            return {}


def test_a_path_marker_for_a_name_missing_from_the_template_is_refused_at_import_time():
    from miniasgi import Path

    app = App()
    with pytest.raises(TypeError, match="has no '{item_id}'"):
        @app.get("/items")
        def read(item_id: int = Path()):
            return {}


# ---- routers ---------------------------------------------------------------------------------


def test_an_included_router_adds_prefix_tags_and_dependencies_in_order():
    calls = []

    def app_level():
        calls.append("include")

    def router_level():
        calls.append("router")

    def route_level():
        calls.append("route")

    router = APIRouter(prefix="/users", tags=["users"], dependencies=[Depends(router_level)])

    @router.get("/{user_id}", tags=["detail"], dependencies=[Depends(route_level)])
    async def read_user(user_id: int):
        return {"user_id": user_id}

    app = App()
    app.include_router(router, prefix="/v1", tags=["v1"], dependencies=[Depends(app_level)])
    with TestClient(app) as test_client:
        assert test_client.get("/v1/users/3").json() == {"user_id": 3}
        route = next(r for r in app.routes if r.name == "read_user")
        assert route.tags == ["v1", "users", "detail"]
        assert calls == ["include", "router", "route"]
        document = test_client.get("/openapi.json").json()
        assert document["paths"]["/v1/users/{user_id}"]["get"]["tags"] == ["v1", "users",
                                                                           "detail"]


def test_app_level_dependencies_run_for_every_route():
    def require_key(x_key: str = __import__("miniasgi").Header()):
        if x_key != "secret":
            raise HTTPException(403, "bad key")

    app = App(dependencies=[Depends(require_key)])

    @app.get("/")
    async def index():
        return {"ok": True}

    test_client = TestClient(app)
    assert test_client.get("/", headers={"x-key": "secret"}).status_code == 200
    assert test_client.get("/", headers={"x-key": "wrong"}).status_code == 403
    assert test_client.get("/").status_code == 422
    assert test_client.get("/openapi.json").status_code == 200  # the document is not guarded


def test_a_router_prefix_must_start_with_a_slash_and_not_end_with_one():
    with pytest.raises(ValueError, match="must start with '/'"):
        APIRouter(prefix="users/")


SEGMENT = st.text(alphabet="abcdefghij0123456789-_.~", min_size=1, max_size=10)


@given(st.lists(st.one_of(SEGMENT.map(lambda s: ("literal", s)),
                          st.sampled_from(["str", "int"]).map(lambda c: ("param", c))),
                min_size=1, max_size=5),
       st.data())
def test_a_path_built_by_url_for_matches_its_template_back(parts, data):
    template = ""
    values = {}
    for index, (kind, text) in enumerate(parts):
        if kind == "literal":
            template += "/" + text
        else:
            name = f"p{index}"
            template += "/{" + name + ("" if text == "str" else ":int") + "}"
            values[name] = (data.draw(SEGMENT) if text == "str"
                            else data.draw(st.integers(min_value=0, max_value=10**6)))
    compiled = CompiledPath(template)
    assert compiled.match(compiled.url_for(**values)) == values


def test_routes_match_below_root_path_whether_or_not_the_server_includes_it_in_path():
    app = App()

    @app.get("/items/{item_id}")
    async def read(item_id: int, request: __import__("miniasgi").Request):
        return {"item_id": item_id, "url": str(request.url)}

    client = TestClient(app, root_path="/api")
    included = client.get("/api/items/1").json()  # Uvicorn's way: path includes root_path
    left_out = client.get("/items/1").json()      # older servers: path below root_path
    assert included == left_out == {"item_id": 1, "url": "http://testserver/api/items/1"}
