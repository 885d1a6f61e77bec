"""Routing: how a decorator becomes a route, and how a request finds its route.

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None): ...

The decorator calls `add_api_route`, which builds an `APIRoute` and COMPILES it
once, at import time:

1. the path template becomes a regular expression ("/items/{item_id}" ->
   r"^/items/(?P<item_id>[^/]+)$"); converters pick the pattern and convert
   the text: {name} (one segment), {name:path} (the rest, slashes included),
   {name:int}, {name:float}, {name:uuid};
2. the endpoint's signature becomes a dependency plan (miniasgi.dependencies):
   every parameter's source, compiled validator and default;
3. the response model becomes a serializer (miniasgi.encoders).

A request then does only per-request work: match, read, validate, call, encode.

Matching (`Router.match`) tries routes in the order they were added. A route
whose path matches and whose methods include the request's method is a FULL
match and wins at once; a path match with another method is PARTIAL. With no
full match:

| what matched                      | answer                                           |
|-----------------------------------|--------------------------------------------------|
| partial matches only              | 405, Allow: the methods those routes accept       |
|                                   | (RFC 9110 §15.5.6)                                |
| nothing, but the path with its    | 307 to that path, like Starlette's redirect_slashes|
| trailing slash toggled would match|                                                  |
| nothing                           | 404                                              |

Deliberate differences from FastAPI, both for RFC 9110's sake:

- a GET route answers HEAD too (§9.3.2: a server that supports GET should
  support HEAD), sending GET's head without the body; FastAPI answers 405;
- Allow lists the methods of EVERY route on the path (§10.2.1: "the methods
  supported by the target resource"); Starlette names only the first route's.

Paths are matched below the app's root_path (see `route_path`).
"""

from __future__ import annotations

import contextlib
import email.message
import functools
import inspect
import json
import re
import typing
import uuid
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from miniasgi.datastructures import URL
from miniasgi.dependencies import (
    NOT_SENT,
    Dependant,
    RequestContext,
    add_sub_dependency,
    call_dependant,
    compile_dependant,
    is_embedded,
    is_form_plan,
    solve,
)
from miniasgi.exceptions import HTTPException, RequestValidationError
from miniasgi.params import Depends
from miniasgi.requests import Request
from miniasgi.responses import JSONResponse, Response, render_json
from miniasgi.status import allows_body
from miniasgi.types import Receive, Scope, Send

# ---- path templates ---------------------------------------------------------------------------

CONVERTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "str": ("[^/]+", str),
    "path": (".*", str),
    "int": ("[0-9]+", int),
    "float": (r"[0-9]+(?:\.[0-9]+)?", float),
    "uuid": ("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
             uuid.UUID),
}
PARAMETER = re.compile(r"{([^{}]*)}")


class CompiledPath:
    """A path template compiled: its regex, parameter names, converters, OpenAPI form."""

    def __init__(self, template: str):
        if not template.startswith("/"):
            raise ValueError(f"route path {template!r} must start with '/': write "
                             f"'/{template}'")
        self.template = template
        pattern = "^"
        self.converters: dict[str, Callable[[str], Any]] = {}
        self.formats: dict[str, str] = {}
        position = 0
        for match in PARAMETER.finditer(template):
            name, _, converter = match.group(1).partition(":")
            converter = converter or "str"
            if not name.isidentifier():
                raise ValueError(f"route {template!r}: parameter {{{match.group(1)}}} needs a "
                                 f"Python identifier as its name, such as {{item_id}}")
            if converter not in CONVERTERS:
                raise ValueError(f"route {template!r}: unknown converter {converter!r} in "
                                 f"{{{match.group(1)}}}: use one of {sorted(CONVERTERS)}")
            if name in self.converters:
                raise ValueError(f"route {template!r} names parameter {name!r} twice")
            regex, convert = CONVERTERS[converter]
            pattern += re.escape(template[position:match.start()]) + f"(?P<{name}>{regex})"
            self.converters[name] = convert
            self.formats[name] = converter
            position = match.end()
        rest = template[position:]
        leftover = PARAMETER.sub("", template)
        if "{" in leftover or "}" in leftover:
            raise ValueError(f"route {template!r} has an unclosed '{{' or a stray '}}': write "
                             f"parameters as '{{name}}' or '{{name:int}}'")
        self.regex = re.compile(pattern + re.escape(rest) + "$")
        self.is_static = not self.converters
        self.openapi_path = PARAMETER.sub(lambda m: "{" + m.group(1).partition(":")[0] + "}",
                                          template)

    def match(self, path: str) -> dict[str, Any] | None:
        """The converted path parameters if `path` fits the template, else None."""
        if self.is_static:
            return {} if path == self.template else None
        found = self.regex.match(path)
        if found is None:
            return None
        params = found.groupdict()
        for name, convert in self.converters.items():
            if convert is not str:
                params[name] = convert(params[name])
        return params

    def url_for(self, **params: Any) -> str:
        missing = set(self.converters) - set(params)
        if missing:
            raise ValueError(f"route {self.template!r} needs path parameters "
                             f"{sorted(missing)}: pass them to url_path_for")
        return PARAMETER.sub(lambda m: str(params[m.group(1).partition(":")[0]]), self.template)


# ---- one route ---------------------------------------------------------------------------------


def _encoders():
    """miniasgi.encoders, imported when the first route compiles (it imports the models)."""
    from miniasgi import encoders

    return encoders


class APIRoute:
    """One (path, methods) -> endpoint mapping, compiled once (see the module docstring)."""

    def __init__(self, path: str, endpoint: Callable, *, methods: Sequence[str] | None = None,
                 status_code: int | None = None, response_model: Any = NOT_SENT,
                 tags: list[str | Enum] | None = None, summary: str | None = None,
                 description: str | None = None, dependencies: Sequence[Depends] | None = None,
                 responses: dict | None = None, response_class: type[Response] = JSONResponse,
                 name: str | None = None, deprecated: bool = False,
                 include_in_schema: bool = True, operation_id: str | None = None,
                 response_description: str = "Successful Response"):
        self.path = path
        self.endpoint = endpoint
        self.methods = {method.upper() for method in (methods or ["GET"])}
        if "GET" in self.methods:
            self.methods.add("HEAD")
        self.name = name or getattr(endpoint, "__name__", "endpoint")
        self.status_code = status_code
        self.tags = [tag.value if isinstance(tag, Enum) else tag for tag in (tags or [])]
        self.summary = summary
        self.description = description if description is not None else _docstring(endpoint)
        self.dependencies = list(dependencies or [])
        self.responses = dict(responses or {})
        self.response_class = response_class
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.operation_id = operation_id
        self.response_description = response_description
        self.compiled_path = CompiledPath(path)
        self.response_model = _infer_response_model(endpoint, response_model)
        self.dependant = self._compile_dependant()
        self._compile_body()
        self._compile_serializer()

    def _compile_dependant(self) -> Dependant:
        path_names = set(self.compiled_path.converters)
        dependant = compile_dependant(self.endpoint, path_names=path_names, name=self.name)
        endpoint_dependencies = dependant.sub_dependencies
        dependant.sub_dependencies = []
        for marker in self.dependencies:  # app, router, then route level: they run first
            if not isinstance(marker, Depends):
                raise TypeError(f"dependencies= of route {self.path!r} takes Depends(...) "
                                f"items, got {marker!r}")
            add_sub_dependency(dependant, None, marker, Any, path_names)
        dependant.sub_dependencies.extend(endpoint_dependencies)
        self.needs_exit_stack = dependant.needs_exit_stack
        return dependant

    def _compile_body(self) -> None:
        body = self.dependant.all_body_parameters
        self.body_parameters = body
        self.reads_form = any(is_form_plan(plan) for plan in body)
        self.reads_body = bool(body)
        self.single_body = len(body) == 1 and not self.reads_form and not is_embedded(body[0])

    def _compile_serializer(self) -> None:
        encoders = _encoders()
        if self.response_model is None:
            self.serialize = encoders.jsonable_encoder
        else:
            self.serialize = encoders.compile_response_serializer(self.response_model)
        self.fast_json = self.response_class is JSONResponse

    def matches(self, path: str, method: str) -> tuple[str, dict] | None:
        """("full" | "partial", path params) when the path fits, else None."""
        params = self.compiled_path.match(path)
        if params is None:
            return None
        return ("full" if method in self.methods else "partial"), params

    # -- per request ------------------------------------------------------------------------

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        app = scope.get("app")
        overrides = getattr(app, "dependency_overrides", None)
        context = RequestContext(request, single_body=self.single_body, overrides=overrides,
                                 compile_override=getattr(app, "compile_override", None))
        if self.reads_body:
            await self._read_body(request, context)
        if not self.needs_exit_stack:
            response = await self.run(request, context)
            await response(scope, receive, send)
            return
        sent = False
        async with contextlib.AsyncExitStack() as stack:
            context.exit_stack = stack
            response = await self.run(request, context)
            await response(scope, receive, send)
            sent = True
        if not sent:
            raise RuntimeError(
                f"no response was sent for {scope['method']} {scope['path']}: the endpoint "
                f"raised, and a dependency with yield caught the exception without raising it "
                f"again. Re-raise in the dependency's except block (or raise HTTPException)")

    async def _read_body(self, request: Request, context: RequestContext) -> None:
        if self.reads_form:
            from miniasgi.forms import FormError

            try:
                context.form = await request.form()
            except FormError as problem:
                raise HTTPException(400, f"There was an error parsing the body: {problem}") \
                    from None
            return
        raw = await request.body()
        if not raw:
            return
        content_type = request.headers.get("content-type")
        if content_type is None or _is_json_media_type(content_type):
            try:
                context.body = json.loads(raw)
            except json.JSONDecodeError as problem:
                raise RequestValidationError([{
                    "type": "json_invalid", "loc": ["body", problem.pos],
                    "msg": "JSON decode error", "input": {},
                    "ctx": {"error": problem.msg}}], body=problem.doc) from None
            except UnicodeDecodeError:  # not even text: FastAPI's answer is a plain 400
                raise HTTPException(400, "There was an error parsing the body") from None
        else:
            context.body = raw

    async def run(self, request: Request, context: RequestContext) -> Response:
        """Solve the arguments, call the endpoint, turn its result into a Response."""
        values, errors = await solve(self.dependant, context)
        if errors:
            raise RequestValidationError(errors, body=None if context.body is NOT_SENT
                                         else context.body)
        result = await call_dependant(self.dependant, values, context)
        if isinstance(result, Response):
            if result.background is None:
                result.background = context.background_tasks
            return result
        return self._make_response(result, context)

    def _make_response(self, result: Any, context: RequestContext) -> Response:
        extra = context.response
        status_code = self.status_code
        if extra is not None and extra.status_code:
            status_code = extra.status_code
        content = self.serialize(result)
        if status_code is not None and not allows_body(status_code):
            response = Response(None, status_code=status_code)
        elif self.fast_json:
            response = _json_response(content, status_code or 200)
        elif status_code is None:  # the class's own default (RedirectResponse: 307)
            response = self.response_class(content)
        else:
            response = self.response_class(content, status_code=status_code)
        if extra is not None:
            response.raw_headers.extend(extra.raw_headers)
        response.background = context.background_tasks
        return response


def _json_response(content: Any, status_code: int) -> JSONResponse:
    """A JSONResponse built without the generic header logic: the hot path."""
    response = JSONResponse.__new__(JSONResponse)
    body = render_json(content)
    response.status_code = status_code
    response.body = body
    response.background = None
    response.raw_headers = [(b"content-length", str(len(body)).encode()),
                            (b"content-type", b"application/json")]
    return response


@functools.lru_cache(maxsize=64)  # clients send few distinct values; parse each once
def _is_json_media_type(content_type: str) -> bool:
    """application/json or any application/*+json (RFC 6839 §3.1 structured syntax suffix)."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _docstring(endpoint: Callable) -> str | None:
    text = inspect.getdoc(endpoint)
    return text.split("\f")[0] if text else None


def _infer_response_model(endpoint: Callable, response_model: Any) -> Any:
    """FastAPI's rule: response_model= if given (None turns it off), else the return
    annotation, unless that is a Response class (the endpoint answers itself)."""
    if response_model is not NOT_SENT:
        return response_model
    try:
        hints = typing.get_type_hints(endpoint, include_extras=True)
    except Exception:  # unresolvable annotations: behave as if none were given
        return None
    annotation = hints.get("return", inspect.Signature.empty)
    if annotation in (inspect.Signature.empty, None, type(None), Any):
        return None
    if isinstance(annotation, type) and issubclass(annotation, Response):
        return None
    origin = typing.get_origin(annotation)
    if origin is not None and any(isinstance(arg, type) and issubclass(arg, Response)
                                  for arg in typing.get_args(annotation)):
        return None
    return annotation


def route_path(scope: Scope) -> str:
    """The path the routes are matched against: the request path below root_path.

    ASGI servers disagree on whether scope["path"] includes root_path (the prefix a
    proxy mounts the app under); Uvicorn includes it now. Either way, strip it once.
    """
    path = scope["path"]
    root_path = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path):] or "/"
    return path


# ---- a router: a list of routes with shared settings --------------------------------------------


class APIRouter:
    """Routes with a shared prefix, tags and dependencies; `app.include_router(router)`.

    The same decorators as the app (`@router.get(...)`). Routes are compiled when
    added (so mistakes show at import time) and again, with the prefix and the
    app's settings, when the router is included.
    """

    def __init__(self, *, prefix: str = "", tags: list[str | Enum] | None = None,
                 dependencies: Sequence[Depends] | None = None,
                 responses: dict | None = None, deprecated: bool = False,
                 include_in_schema: bool = True, redirect_slashes: bool = True):
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"router prefix {prefix!r} must start with '/' and not end "
                             f"with '/': write {'/' + prefix.strip('/')!r}")
        self.prefix = prefix
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.responses = dict(responses or {})
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.redirect_slashes = redirect_slashes
        self.routes: list[APIRoute] = []
        self._route_options: list[dict] = []  # what each route was declared with

    def add_api_route(self, path: str, endpoint: Callable, **options: Any) -> APIRoute:
        declared = dict(options, path=path, endpoint=endpoint)
        self._route_options.append(declared)
        route = APIRoute(self.prefix + path, endpoint, **self._with_router_settings(options))
        self.routes.append(route)
        return route

    def _with_router_settings(self, options: dict) -> dict:
        merged = dict(options)
        merged["tags"] = self.tags + list(options.get("tags") or [])
        merged["dependencies"] = self.dependencies + list(options.get("dependencies") or [])
        merged["responses"] = {**self.responses, **(options.get("responses") or {})}
        merged["deprecated"] = options.get("deprecated") or self.deprecated
        merged["include_in_schema"] = options.get("include_in_schema", True) and \
            self.include_in_schema
        return merged

    def api_route(self, path: str, *, methods: Sequence[str] | None = None, **options: Any):
        """Decorator form of add_api_route: @router.api_route("/x", methods=["GET", "POST"])."""
        def decorator(endpoint: Callable) -> Callable:
            if not callable(endpoint):
                raise TypeError(f"@route({path!r}) decorates a function, got {endpoint!r}")
            self.add_api_route(path, endpoint, methods=methods, **options)
            return endpoint

        if callable(path):
            raise TypeError("write @app.get('/path'), with the path, not a bare @app.get")
        return decorator

    def get(self, path: str, **options: Any):
        return self.api_route(path, methods=["GET"], **options)

    def post(self, path: str, **options: Any):
        return self.api_route(path, methods=["POST"], **options)

    def put(self, path: str, **options: Any):
        return self.api_route(path, methods=["PUT"], **options)

    def patch(self, path: str, **options: Any):
        return self.api_route(path, methods=["PATCH"], **options)

    def delete(self, path: str, **options: Any):
        return self.api_route(path, methods=["DELETE"], **options)

    def head(self, path: str, **options: Any):
        return self.api_route(path, methods=["HEAD"], **options)

    def options(self, path: str, **options: Any):
        return self.api_route(path, methods=["OPTIONS"], **options)

    def include_router(self, router: APIRouter, *, prefix: str = "",
                       tags: list[str | Enum] | None = None,
                       dependencies: Sequence[Depends] | None = None,
                       responses: dict | None = None, deprecated: bool = False,
                       include_in_schema: bool = True) -> None:
        """Add `router`'s routes under `prefix`, with extra tags and dependencies first."""
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"include_router prefix {prefix!r} must start with '/' and not "
                             f"end with '/'")
        for declared in router._route_options:
            options = router._with_router_settings(
                {k: v for k, v in declared.items() if k not in ("path", "endpoint")})
            options["tags"] = list(tags or []) + options["tags"]
            options["dependencies"] = list(dependencies or []) + options["dependencies"]
            options["responses"] = {**(responses or {}), **options["responses"]}
            options["deprecated"] = deprecated or options["deprecated"]
            options["include_in_schema"] = include_in_schema and options["include_in_schema"]
            self.add_api_route(prefix + router.prefix + declared["path"], declared["endpoint"],
                               **options)

    # -- dispatch ---------------------------------------------------------------------------

    def match(self, path: str, method: str) -> tuple[APIRoute | None, dict, set[str]]:
        """(the route, its path params, methods allowed on partial matches)."""
        allowed: set[str] = set()
        for route in self.routes:
            found = route.matches(path, method)
            if found is None:
                continue
            kind, params = found
            if kind == "full":
                return route, params, allowed
            allowed |= route.methods
        return None, {}, allowed

    def url_path_for(self, name: str, /, **params: Any) -> str:
        for route in self.routes:
            if route.name == name:
                return route.compiled_path.url_for(**params)
        raise LookupError(f"no route named {name!r}: the route name is the endpoint "
                          f"function's name unless name= was given")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope)
        route, params, allowed = self.match(path, scope["method"])
        if route is not None:
            scope["path_params"] = params
            await route.handle(scope, receive, send)
            return
        if allowed:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        if self.redirect_slashes and path != "/":
            other_path = path[:-1] if path.endswith("/") else path + "/"
            if any(route.matches(other_path, scope["method"]) is not None
                   for route in self.routes):
                url = URL.from_scope(dict(scope, path=other_path))
                await Response(status_code=307, headers={"location": str(url)})(
                    scope, receive, send)
                return
        raise HTTPException(404)
