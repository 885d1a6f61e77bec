"""App: the ASGI application a miniasgi program builds, and the layers a request crosses.

`app = App()` is itself `app(scope, receive, send)`, so any ASGI server runs it
(minihttp, Uvicorn, Hypercorn). A request crosses these layers, outermost first,
as in Starlette:

    ServerErrorLayer   any exception left -> 500 "Internal Server Error" (or
                       the traceback with debug=True); re-raised for the log
    user middleware    add_middleware(CORSMiddleware, ...): the LAST added runs
                       first; the stack is built lazily, at the first request
    ExceptionLayer     HTTPException -> {"detail": ...}; RequestValidationError
                       -> 422; your @app.exception_handler(...) handlers
    Router             match the path, run the route (miniasgi.routing)

The lifespan scope (ASGI lifespan spec) never enters that stack: `App` answers
it itself. `lifespan=` is an async context manager factory taking the app; what
it yields (a dict) becomes the state every request sees as `request.state`
(ASGI's scope["state"], shallow-copied per request). A server that does not
send "state" (older ones) still works: the app keeps the yielded state and
hands it to each request itself. on_startup/on_shutdown lists run around it.

The OpenAPI document (miniasgi.openapi) is built lazily from the compiled
routes, once, at the first request to openapi_url, and cached; docs_url serves
the offline docs page (miniasgi.docs). openapi_url=None turns both off.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from miniasgi.concurrency import is_async_callable, run_in_threadpool
from miniasgi.datastructures import State
from miniasgi.dependencies import (
    Dependant,
    ParameterPlan,
    compile_dependant,
    security_requirements,
)
from miniasgi.encoders import jsonable_encoder
from miniasgi.exceptions import HTTPException, RequestValidationError
from miniasgi.openapi import (
    OperationInfo,
    ParameterInfo,
    RequestBodyInfo,
    build_openapi,
    operation_id_from,
    summary_from_name,
    title_from_name,
)
from miniasgi.params import Depends
from miniasgi.requests import Request
from miniasgi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from miniasgi.routing import APIRoute, APIRouter
from miniasgi.status import allows_body
from miniasgi.types import ASGIApp, Message, Receive, Scope, Send

ExceptionHandler = Callable[[Request, Exception], Any]


# ---- the default exception handlers (FastAPI's answers) -----------------------------------------


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if not allows_body(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def request_validation_exception_handler(request: Request,
                                         exc: RequestValidationError) -> Response:
    return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


async def _call_handler(handler: ExceptionHandler, request: Request, exc: Exception) -> Response:
    if is_async_callable(handler):
        return await handler(request, exc)
    return await run_in_threadpool(handler, request, exc)


# ---- the two error layers --------------------------------------------------------------------


class SendTracker:
    """send(), remembering whether the response has started: after that no error page fits."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send):
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class ExceptionLayer:
    """Turn exceptions raised below into responses, by class (MRO order) or status code."""

    def __init__(self, app: ASGIApp, handlers: dict[Any, ExceptionHandler]):
        self.app = app
        self.handlers = handlers

    def handler_for(self, exc: Exception) -> ExceptionHandler | None:
        if isinstance(exc, HTTPException) and exc.status_code in self.handlers:
            return self.handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked_send = SendTracker(send)
        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            handler = self.handler_for(exc)
            if handler is None:
                raise
            if tracked_send.started:
                raise RuntimeError("an exception was raised after the response had started, "
                                   "so no error response can be sent") from exc
            response = await _call_handler(handler, Request(scope, receive), exc)
            await response(scope, receive, send)


class ServerErrorLayer:
    """The outermost layer: answer 500 to anything unhandled, then re-raise it (for the log)."""

    def __init__(self, app: ASGIApp, handler: ExceptionHandler | None, debug: bool):
        self.app = app
        self.handler = handler
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked_send = SendTracker(send)
        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            if not tracked_send.started:
                if self.debug:
                    response = PlainTextResponse("".join(traceback.format_exception(exc)),
                                                 status_code=500)
                elif self.handler is not None:
                    response = await _call_handler(self.handler, Request(scope, receive), exc)
                else:
                    response = PlainTextResponse("Internal Server Error", status_code=500)
                await response(scope, receive, send)
            raise


# ---- the app ----------------------------------------------------------------------------------


class App:
    """The application (see the module docstring); FastAPI's constructor options."""

    def __init__(self, *, title: str = "miniasgi", version: str = "0.1.0",
                 description: str | None = None, lifespan: Callable | None = None,
                 debug: bool = False, openapi_url: str | None = "/openapi.json",
                 docs_url: str | None = "/docs", dependencies: Sequence[Depends] | None = None,
                 on_startup: Sequence[Callable] | None = None,
                 on_shutdown: Sequence[Callable] | None = None,
                 exception_handlers: dict[Any, ExceptionHandler] | None = None,
                 middleware: Sequence[tuple[type, dict]] | None = None,
                 redirect_slashes: bool = True, servers: list[dict] | None = None,
                 responses: dict | None = None):
        self.title = title
        self.version = version
        self.description = description
        self.debug = debug
        self.openapi_url = openapi_url
        self.docs_url = docs_url
        self.servers = servers
        self.router = APIRouter(dependencies=dependencies, responses=responses,
                                redirect_slashes=redirect_slashes)
        self.state = State()
        self.dependency_overrides: dict[Callable, Callable] = {}
        self._override_cache: dict[tuple, Dependant] = {}
        self.lifespan_context = lifespan
        self.on_startup = list(on_startup or [])
        self.on_shutdown = list(on_shutdown or [])
        self.exception_handlers: dict[Any, ExceptionHandler] = {
            HTTPException: http_exception_handler,
            RequestValidationError: request_validation_exception_handler,
            **(exception_handlers or {}),
        }
        self.user_middleware: list[tuple[type, dict]] = [
            (cls, dict(options)) for cls, options in (middleware or [])]
        self.middleware_stack: ASGIApp | None = None
        self._lifespan_state: dict | None = None
        self.openapi_schema: dict | None = None
        self._add_docs_routes()

    # -- declaring routes (the router's decorators) -----------------------------------------------

    @property
    def routes(self) -> list[APIRoute]:
        return self.router.routes

    def add_api_route(self, path: str, endpoint: Callable, **options: Any) -> APIRoute:
        return self.router.add_api_route(path, endpoint, **options)

    def api_route(self, path: str, **options: Any):
        return self.router.api_route(path, **options)

    def get(self, path: str, **options: Any):
        return self.router.get(path, **options)

    def post(self, path: str, **options: Any):
        return self.router.post(path, **options)

    def put(self, path: str, **options: Any):
        return self.router.put(path, **options)

    def patch(self, path: str, **options: Any):
        return self.router.patch(path, **options)

    def delete(self, path: str, **options: Any):
        return self.router.delete(path, **options)

    def head(self, path: str, **options: Any):
        return self.router.head(path, **options)

    def options(self, path: str, **options: Any):
        return self.router.options(path, **options)

    def include_router(self, router: APIRouter, **options: Any) -> None:
        self.router.include_router(router, **options)
        self.openapi_schema = None

    def url_path_for(self, name: str, /, **params: Any) -> str:
        return self.router.url_path_for(name, **params)

    # -- middleware and exception handlers ---------------------------------------------------

    def add_middleware(self, middleware_class: type, **options: Any) -> None:
        """Wrap the app in ASGI middleware: `middleware_class(app, **options)`, built at the
        first request. The last one added is the outermost (it sees the request first)."""
        if self.middleware_stack is not None:
            raise RuntimeError("cannot add middleware after the app has started serving: "
                               "call add_middleware() before the first request")
        self.user_middleware.insert(0, (middleware_class, options))

    def add_exception_handler(self, key: type[Exception] | int,
                              handler: ExceptionHandler) -> None:
        if not (isinstance(key, int) or (isinstance(key, type) and issubclass(key, Exception))):
            raise TypeError(f"exception_handler() takes an exception class or a status code, "
                            f"got {key!r}")
        self.exception_handlers[key] = handler

    def exception_handler(self, key: type[Exception] | int):
        """Decorator: @app.exception_handler(ItemMissing) or @app.exception_handler(404)."""
        def decorator(handler: ExceptionHandler) -> ExceptionHandler:
            self.add_exception_handler(key, handler)
            return handler

        return decorator

    def build_middleware_stack(self) -> ASGIApp:
        handlers = dict(self.exception_handlers)
        server_error_handler = handlers.pop(500, None) or handlers.pop(Exception, None)
        app: ASGIApp = ExceptionLayer(self.router, handlers)
        for cls, options in reversed(self.user_middleware):
            app = cls(app, **options)
        return ServerErrorLayer(app, server_error_handler, self.debug)

    # -- dependency overrides ---------------------------------------------------------------

    def compile_override(self, original: Dependant, replacement: Callable) -> Dependant:
        """The override's plan, compiled the first time it is used and kept."""
        key = (original.call, replacement, tuple(original.security_scopes))
        compiled = self._override_cache.get(key)
        if compiled is None:
            compiled = compile_dependant(replacement, path_names=set(original.path_names),
                                         use_cache=original.use_cache,
                                         parent_scopes=original.security_scopes)
            self._override_cache[key] = compiled
        return compiled

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if scope["type"] == "lifespan":
            await self._serve_lifespan(scope, receive, send)
            return
        if "state" not in scope and self._lifespan_state is not None:
            scope["state"] = self._lifespan_state
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    @contextlib.asynccontextmanager
    async def _run_lifespan(self):
        for handler in self.on_startup:
            await (handler() if is_async_callable(handler) else run_in_threadpool(handler))
        try:
            if self.lifespan_context is None:
                yield None
            else:
                async with self.lifespan_context(self) as state:
                    yield state
        finally:
            for handler in self.on_shutdown:
                await (handler() if is_async_callable(handler) else run_in_threadpool(handler))

    async def _serve_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI lifespan protocol: startup -> complete/failed ... shutdown -> complete."""
        started = False
        await receive()  # {"type": "lifespan.startup"}
        try:
            async with self._run_lifespan() as state:
                if state is not None:
                    self._store_lifespan_state(scope, state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # {"type": "lifespan.shutdown"}
        except BaseException:
            text = traceback.format_exc()
            kind = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": kind, "message": text})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    def _store_lifespan_state(self, scope: Scope, state: Any) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"the lifespan yielded {type(state).__name__}, not a dict: "
                            f"yield {{'name': value}} to share state with requests")
        if "state" in scope:
            scope["state"].update(state)
        else:  # a server without lifespan state support: hand it to requests ourselves
            self._lifespan_state = dict(state)

    # -- OpenAPI and the docs page ----------------------------------------------------------------

    def openapi(self) -> dict:
        """The OpenAPI document for the routes, built once and cached."""
        if self.openapi_schema is None:
            operations, schemes = operations_of(self.router.routes)
            self.openapi_schema = build_openapi(
                title=self.title, version=self.version, description=self.description,
                operations=operations, security_schemes=schemes, servers=self.servers)
        return self.openapi_schema

    def _add_docs_routes(self) -> None:
        if self.openapi_url is None:
            return
        app = self

        async def openapi_document() -> Response:
            return JSONResponse(app.openapi())

        self._add_plain_route(self.openapi_url, openapi_document, "openapi")
        if self.docs_url is None:
            return
        from miniasgi import docs

        async def docs_page() -> Response:
            page = docs.docs_html(openapi_url=app.openapi_url, title=app.title + " - docs",
                                  assets_url=app.docs_url + "/assets")
            return HTMLResponse(page, headers=docs.docs_headers())

        async def docs_asset(name: str) -> Response:
            found = docs.docs_asset(name)
            if found is None:
                raise HTTPException(404, f"no docs asset named {name!r}")
            content, media_type = found
            return Response(content, media_type=media_type)

        self._add_plain_route(self.docs_url, docs_page, "docs")
        self._add_plain_route(self.docs_url + "/assets/{name}", docs_asset, "docs_asset")

    def _add_plain_route(self, path: str, endpoint: Callable, name: str) -> None:
        """A route outside the app's settings: app-level dependencies (an API key check)
        do not guard the document and the docs page, as in FastAPI."""
        self.router.routes.append(APIRoute(path, endpoint, include_in_schema=False, name=name))


# ---- describing the routes for OpenAPI -----------------------------------------------------------


def operations_of(routes: list[APIRoute]) -> tuple[list[OperationInfo], dict[str, dict]]:
    """One OperationInfo per (route, method), and every security scheme the routes use."""
    operations: list[OperationInfo] = []
    all_schemes: dict[str, dict] = {}
    for route in routes:
        requirements, schemes = security_requirements(route.dependant)
        all_schemes.update(schemes)
        methods = sorted(route.methods - {"HEAD"}) or ["HEAD"]
        for method in methods:
            path = route.compiled_path.openapi_path
            operation_id = route.operation_id or operation_id_from(route.name, path, method)
            operations.append(OperationInfo(
                path=path, method=method, operation_id=operation_id,
                summary=route.summary or summary_from_name(route.name),
                description=route.description, tags=list(route.tags),
                status_code=route.status_code or 200,
                parameters=_parameters_of(route),
                request_body=_request_body_of(route, operation_id),
                response_model=route.response_model,
                response_class_media_type=getattr(route.response_class, "media_type", None),
                responses=route.responses, security=requirements,
                deprecated=route.deprecated, include_in_schema=route.include_in_schema))
    return operations, all_schemes


def _parameters_of(route: APIRoute) -> list[ParameterInfo]:
    seen: set[tuple[str, str]] = set()
    parameters = []
    for plan in route.dependant.all_parameters:
        key = (plan.location, plan.wire_name)
        marker = plan.marker
        if key in seen or (marker is not None and not marker.include_in_schema):
            continue
        seen.add(key)
        parameters.append(ParameterInfo(
            name=plan.wire_name, location=plan.location, annotation=plan.annotation,
            required=plan.required, default=plan.default, constraints=plan.constraints,
            description=getattr(marker, "description", None),
            deprecated=getattr(marker, "deprecated", False),
            examples=getattr(marker, "examples", None), title=getattr(marker, "title", None)))
    return parameters


def _request_body_of(route: APIRoute, operation_id: str) -> RequestBodyInfo | None:
    plans: list[ParameterPlan] = route.body_parameters
    if not plans:
        return None
    if route.reads_form:
        media_type = "multipart/form-data" if any(
            plan.location == "file" for plan in plans) else "application/x-www-form-urlencoded"
    else:
        media_type = getattr(plans[0].marker, "media_type", "application/json")
    required = any(plan.required for plan in plans)
    if route.single_body:
        plan = plans[0]
        title = getattr(plan.marker, "title", None) or title_from_name(plan.wire_name)
        return RequestBodyInfo(annotation=plan.annotation, media_type=media_type,
                               required=required, fields=None, title=title)
    fields = {plan.wire_name: (plan.annotation, plan.required, plan.default, plan.constraints,
                               getattr(plan.marker, "description", None))
              for plan in plans}
    return RequestBodyInfo(annotation=None, media_type=media_type, required=required,
                           fields=fields, title="Body_" + operation_id)
