"""Dependency injection: a function's signature compiled into a plan, then solved per request.

FastAPI reads an endpoint's signature to learn what to pass it. This module
does that reading ONCE, when the route is added, and keeps the answer as a
`Dependant`: the callable, plus one `ParameterPlan` per argument saying where
the value comes from and which compiled validator checks it. Solving a request
is then a loop over plans, with no `inspect` left to do.

Where an argument comes from (FastAPI's rules, in this order):

| the parameter                                   | its value                            |
|-------------------------------------------------|--------------------------------------|
| `x = Depends(f)` / `Annotated[T, Depends(f)]`   | f's result, f solved the same way    |
| annotated Request, Response, BackgroundTasks,   | the request; a Response whose headers|
| SecurityScopes                                  | and status are merged into the answer|
| `Path() Query() Header() Cookie()` marker       | that part of the request             |
| `Body() Form() File()` marker                   | the body (JSON, or a submitted form) |
| no marker, name in the path template            | the path                             |
| no marker, UploadFile                           | a multipart file                     |
| no marker, a model, dataclass, list or dict     | the JSON body                        |
| no marker, anything else (a scalar)             | the query string                     |

Dependencies form a tree; `solve()` walks it depth first: a dependency's own
dependencies run before it, its parameters are validated, then it is called
(async on the loop, sync in the thread pool). With use_cache, a dependency
appearing twice in one request runs once. A generator dependency (`yield`)
is entered as a context manager on the request's exit stack: its code after
`yield` runs when the stack closes, after the response was sent, and sees the
endpoint's exception (thrown in at the `yield`) if there was one.

Errors are collected across the whole tree: every bad parameter is reported
in one 422, grouped as FastAPI groups them (sub-dependencies first, then path,
query, header and cookie parameters, then the body).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from miniasgi.background import BackgroundTasks
from miniasgi.coercion import Invalid
from miniasgi.concurrency import is_async_callable, run_in_threadpool
from miniasgi.forms import (
    file_bytes,
    file_kind,
    file_validator,
    is_bytes_annotation,
    is_empty_input,
)
from miniasgi.params import Body, Depends, File, Form, Param, Path, Query, Required, Security
from miniasgi.requests import Request
from miniasgi.responses import Response
from miniasgi.security import SecurityBase, SecurityScopes
from miniasgi.validation import (
    Constraints,
    ValidationError,
    compile_check,
    is_body_type,
    is_sequence_type,
    missing_error,
)

LOCATION_ORDER = {"path": 0, "query": 1, "header": 2, "cookie": 3}
SPECIAL_KINDS = ((Request, "request"), (Response, "response"),
                 (BackgroundTasks, "background_tasks"), (SecurityScopes, "security_scopes"))
NOT_SENT: Any = object()


@dataclass(slots=True)
class ParameterPlan:
    """One argument: where it comes from, how it is checked, what it defaults to."""

    name: str                 # the Python argument name
    location: str             # path | query | header | cookie | body | form | file
    wire_name: str            # the name on the wire (alias; header with hyphens)
    annotation: Any
    validate: Callable        # compiled validator(value, loc)
    required: bool
    default: Any
    default_factory: Callable | None
    repeats: bool             # a list[...] query/header/form value: take every value
    loc: tuple
    marker: Param | None
    constraints: Constraints | None
    file_kind: str | None = None  # "upload" | "bytes", each possibly in a list

    def default_value(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        if isinstance(self.default, list | dict | set):
            return copy.deepcopy(self.default)  # never share a mutable default (FastAPI copies)
        return self.default


@dataclass(eq=False)
class Dependant:
    """A callable with its compiled plan: the unit the solver runs."""

    call: Callable
    name: str
    parameters: list[ParameterPlan] = field(default_factory=list)
    body_parameters: list[ParameterPlan] = field(default_factory=list)
    sub_dependencies: list[tuple[str | None, Dependant]] = field(default_factory=list)
    special: list[tuple[str, str]] = field(default_factory=list)
    use_cache: bool = True
    scopes: list[str] = field(default_factory=list)      # from this Security() marker
    security_scopes: list[str] = field(default_factory=list)  # accumulated from the root
    kind: str = "sync"        # sync | async | generator | async_generator
    path_names: frozenset[str] = frozenset()  # the route's path parameters (for overrides)

    @property
    def cache_key(self) -> tuple:
        return (self.call, tuple(sorted(set(self.security_scopes))))

    def walk(self):
        """This dependant and every sub-dependant, depth first (parents first)."""
        yield self
        for _, sub in self.sub_dependencies:
            yield from sub.walk()

    @property
    def needs_exit_stack(self) -> bool:
        return any(node.kind in ("generator", "async_generator") for node in self.walk())

    @property
    def all_parameters(self) -> list[ParameterPlan]:
        return [plan for node in self.walk() for plan in node.parameters]

    @property
    def all_body_parameters(self) -> list[ParameterPlan]:
        return [plan for node in self.walk() for plan in node.body_parameters]


# ---- compiling a signature -----------------------------------------------------------------


def call_kind(call: Callable) -> str:
    target = call
    if not (inspect.isfunction(target) or inspect.ismethod(target)) and not inspect.isclass(
            target):
        target = getattr(type(call), "__call__", call)  # noqa: B004 - the class's method
    if inspect.isasyncgenfunction(target):
        return "async_generator"
    if inspect.isgeneratorfunction(target):
        return "generator"
    return "async" if is_async_callable(call) else "sync"


def compile_dependant(call: Callable, *, path_names: set[str], name: str | None = None,
                      use_cache: bool = True, scopes: list[str] | None = None,
                      parent_scopes: list[str] | None = None) -> Dependant:
    """Read `call`'s signature once and return its Dependant (sub-dependencies compiled too).

    Raises TypeError naming the parameter when a signature cannot be served (an
    annotation the validator cannot check, a Path() not in the template...).
    """
    scopes = list(scopes or [])
    security_scopes = list(parent_scopes or []) + scopes
    dependant = Dependant(call=call, name=name or getattr(call, "__name__", repr(call)),
                          use_cache=use_cache, scopes=scopes, security_scopes=security_scopes,
                          kind=call_kind(call), path_names=frozenset(path_names))
    for parameter, annotation in _signature(call):
        _add_parameter(dependant, parameter, annotation, path_names)
    dependant.parameters.sort(key=lambda plan: LOCATION_ORDER[plan.location])
    return dependant


def _hint_target(call: Callable) -> Any:
    """Where `call`'s annotations live: the function, a class's __init__, an instance's
    __call__ (a security scheme object), the function inside a functools.partial."""
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isclass(call):
        return call.__init__
    if inspect.isfunction(call) or inspect.ismethod(call):
        return call
    return type(call).__call__


def _signature(call: Callable) -> list[tuple[inspect.Parameter, Any]]:
    try:
        signature = inspect.signature(call)
    except (TypeError, ValueError):  # a builtin without a readable signature: no parameters
        return []
    try:
        hints = typing.get_type_hints(_hint_target(call), include_extras=True)
    except TypeError:
        hints = {}
    except NameError as problem:
        raise TypeError(f"cannot read the type hints of {call!r}: {problem}. Define the "
                        f"named type before the function, or import it at module level") from None
    return [(parameter, hints.get(name, parameter.annotation))
            for name, parameter in signature.parameters.items()
            if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]


def _split_annotated(annotation: Any) -> tuple[Any, Any, list]:
    """Annotated[T, Query(), ...] -> (T, the marker or None, the other metadata)."""
    marker = None
    extra: list = []
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        for item in metadata:
            if isinstance(item, Param | Depends):
                marker = item
            else:
                extra.append(item)
        annotation = Annotated[(base, *extra)] if extra else base
    return annotation, marker, extra


def _add_parameter(dependant: Dependant, parameter: inspect.Parameter, annotation: Any,
                   path_names: set[str]) -> None:
    annotation, marker, _ = _split_annotated(annotation)
    default = parameter.default
    if isinstance(default, Param | Depends):
        if marker is not None:
            raise TypeError(f"parameter {parameter.name!r} of {dependant.name} has two markers "
                            f"(in Annotated and as its default): keep one")
        marker, default = default, Required
    elif default is inspect.Parameter.empty:
        default = Required
    if annotation is inspect.Parameter.empty:
        annotation = Any
    if isinstance(marker, Depends):
        add_sub_dependency(dependant, parameter.name, marker, annotation, path_names)
        return
    if marker is None:
        for special_class, kind in SPECIAL_KINDS:
            if isinstance(annotation, type) and issubclass(annotation, special_class):
                dependant.special.append((parameter.name, kind))
                return
        marker = _implicit_marker(parameter.name, annotation, path_names)
    plan = _compile_plan(dependant.name, parameter.name, annotation, marker, default)
    if plan.location == "path" and plan.wire_name not in path_names:
        raise TypeError(f"{dependant.name}() declares path parameter {plan.wire_name!r} but "
                        f"the route's path has no '{{{plan.wire_name}}}': add it to the path "
                        f"or use Query() instead")
    if plan.location in LOCATION_ORDER:
        dependant.parameters.append(plan)
    else:
        dependant.body_parameters.append(plan)


def add_sub_dependency(dependant: Dependant, name: str | None, marker: Depends,
                        annotation: Any, path_names: set[str]) -> None:
    """Compile `marker`'s callable under `dependant`; name None: run it, drop its value
    (a route's dependencies=[Depends(verify_key)])."""
    call = marker.dependency if marker.dependency is not None else annotation
    if not callable(call) or call is Any:
        where = f"parameter {name!r} of {dependant.name}" if name else dependant.name
        raise TypeError(f"Depends() on {where} has no function to call: write "
                        f"Depends(get_thing) or annotate the parameter with a class "
                        f"(user: Annotated[User, Depends()])")
    scopes = marker.scopes if isinstance(marker, Security) else []
    sub = compile_dependant(call, path_names=path_names, use_cache=marker.use_cache,
                            scopes=scopes, parent_scopes=dependant.security_scopes)
    dependant.sub_dependencies.append((name, sub))


def _implicit_marker(name: str, annotation: Any, path_names: set[str]) -> Param:
    """FastAPI's rule for a parameter without a marker (see the module docstring)."""
    if name in path_names:
        return Path()
    if file_kind(annotation) is not None:
        return File()
    if is_body_type(annotation) or not _is_scalar(annotation):
        return Body()
    return Query()


def _is_scalar(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_scalar(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return all(_is_scalar(member) for member in typing.get_args(annotation))
    return not (is_sequence_type(annotation) or annotation is dict or origin is dict)


def _compile_plan(owner: str, name: str, annotation: Any, marker: Param, default: Any
                  ) -> ParameterPlan:
    if marker.default is not Required:
        default = marker.default
    location = marker.location
    wire_name = marker.alias or name
    if location == "header" and marker.alias is None and marker.convert_underscores:
        wire_name = name.replace("_", "-")
    kind = file_kind(annotation)
    if kind is None and location == "file" and is_bytes_annotation(annotation):
        kind = "bytes_list" if is_sequence_type(annotation) else "bytes"
    try:
        validate = file_validator(kind) if kind in ("upload", "upload_list") else \
            compile_request_validator(
            annotation, marker.constraints)
    except TypeError as problem:
        raise TypeError(f"parameter {name!r} of {owner}(): {problem}") from None
    loc_location = "body" if location in ("body", "form", "file") else location
    return ParameterPlan(
        name=name, location=location, wire_name=wire_name, annotation=annotation,
        validate=validate, required=default is Required and marker.default_factory is None,
        default=None if default is Required else default,
        default_factory=marker.default_factory,
        repeats=is_sequence_type(annotation) or (kind or "").endswith("_list"),
        loc=(loc_location, wire_name.lower() if location == "header" else wire_name),
        marker=marker, constraints=marker.constraints, file_kind=kind)


def compile_request_validator(annotation: Any, constraints: Constraints | None) -> Callable:
    """validator(value, loc) for a request value. Objects are read by attributes as well as
    by keys (pydantic's from_attributes), as FastAPI validates request values: so a list
    sent where a model belongs is a model_attributes_type error, FastAPI's answer."""
    check = compile_check(annotation, constraints, from_attributes=True)

    def validate(value: Any, loc: tuple = ()) -> Any:
        try:
            return check(value)
        except Invalid as invalid:
            for error in invalid.errors:
                error["loc"] = [*loc, *error["loc"]]
            raise ValidationError(invalid.errors) from None

    return validate


# ---- solving a request -----------------------------------------------------------------------


class RequestContext:
    """What one request's solving shares: the request, the body, caches, the exit stack."""

    __slots__ = ("request", "body", "form", "single_body", "response", "background_tasks", "cache",
                 "exit_stack", "overrides", "compile_override", "_query", "_headers")

    def __init__(self, request: Request, *, body: Any = NOT_SENT, form: Any = None,
                 single_body: bool = False,
                 exit_stack: contextlib.AsyncExitStack | None = None,
                 overrides: dict | None = None, compile_override: Callable | None = None):
        self.request = request
        self.body = body
        self.form = form
        # The body IS the one body parameter (not {"name": value}) when the route reads
        # exactly one body value not declared Body(embed=True): decided per route.
        self.single_body = single_body
        self.response: Response | None = None
        self.background_tasks: BackgroundTasks | None = None
        self.cache: dict = {}
        self.exit_stack = exit_stack
        self.overrides = overrides
        self.compile_override = compile_override
        self._query = None
        self._headers = None

    def source(self, location: str):
        """The multi-dict a parameter location reads from (parsed once per request)."""
        if location == "path":
            return self.request.scope.get("path_params", {})
        if location == "query":
            if self._query is None:
                self._query = self.request.query_params
            return self._query
        if location == "header":
            if self._headers is None:
                self._headers = self.request.headers
            return self._headers
        return self.request.cookies


async def solve(dependant: Dependant, context: RequestContext) -> tuple[dict, list[dict]]:
    """Every argument `dependant.call` needs, and the errors met on the way."""
    values: dict[str, Any] = {}
    errors: list[dict] = []
    for name, sub in dependant.sub_dependencies:
        if context.overrides:
            sub = _overridden(sub, context)
        if sub.use_cache and sub.cache_key in context.cache:
            result = context.cache[sub.cache_key]
        else:
            sub_values, sub_errors = await solve(sub, context)
            if sub_errors:
                errors.extend(sub_errors)
                continue
            result = await call_dependant(sub, sub_values, context)
            if sub.use_cache:
                context.cache[sub.cache_key] = result
        if name is not None:
            values[name] = result
    for plan in dependant.parameters:
        _read_parameter(plan, context.source(plan.location), values, errors)
    if dependant.body_parameters:
        await _read_body(dependant, context, values, errors)
    for name, kind in dependant.special:
        values[name] = _special_value(kind, dependant, context)
    return values, errors


def _overridden(sub: Dependant, context: RequestContext) -> Dependant:
    replacement = context.overrides.get(sub.call)
    if replacement is None:
        return sub
    return context.compile_override(sub, replacement)


def _read_parameter(plan: ParameterPlan, source, values: dict, errors: list) -> None:
    if plan.repeats and plan.location in ("query", "header"):  # cookies do not repeat
        raw = source.getlist(plan.wire_name) or NOT_SENT
    else:
        raw = source.get(plan.wire_name, NOT_SENT)
    _validate_or_default(plan, raw, values, errors)


def _special_value(kind: str, dependant: Dependant, context: RequestContext) -> Any:
    if kind == "request":
        return context.request
    if kind == "response":
        if context.response is None:
            # A blank response the endpoint may set headers, cookies and a status on;
            # they are merged into the real response (status None: keep the route's).
            response = Response.__new__(Response)
            response.status_code, response.raw_headers, response.background = None, [], None
            response.body = b""
            context.response = response
        return context.response
    if kind == "background_tasks":
        if context.background_tasks is None:
            context.background_tasks = BackgroundTasks()
        return context.background_tasks
    return SecurityScopes(dependant.security_scopes)


async def _read_body(dependant: Dependant, context: RequestContext, values: dict,
                     errors: list) -> None:
    plans = dependant.body_parameters
    if context.form is not None:
        for plan in plans:
            await _read_form_field(plan, context.form, values, errors)
        return
    body = context.body
    if context.single_body:
        plan = plans[0]
        if body is NOT_SENT:
            if plan.required:
                errors.append(missing_error(("body",)))
            else:
                values[plan.name] = plan.default_value()
            return
        try:
            values[plan.name] = plan.validate(body, ("body",))
        except ValidationError as invalid:
            errors.extend(invalid.errors)
        return
    for plan in plans:
        if body is NOT_SENT:
            raw = NOT_SENT
        elif isinstance(body, dict):
            raw = body.get(plan.wire_name, NOT_SENT)
        elif isinstance(body, bytes | bytearray):
            raw = NOT_SENT
        else:  # an embedded field needs an object, not a list or a scalar
            errors.append(missing_error(plan.loc))
            continue
        _validate_or_default(plan, raw, values, errors)


def _validate_or_default(plan: ParameterPlan, raw: Any, values: dict, errors: list) -> None:
    if raw is NOT_SENT:
        if plan.required:
            errors.append(missing_error(plan.loc))
        else:
            values[plan.name] = plan.default_value()
        return
    try:
        values[plan.name] = plan.validate(raw, plan.loc)
    except ValidationError as invalid:
        errors.extend(invalid.errors)


async def _read_form_field(plan: ParameterPlan, form, values: dict, errors: list) -> None:
    """Form fields: an empty string or an empty file input counts as not sent (FastAPI)."""
    if plan.repeats:
        raw = [item for item in form.getlist(plan.wire_name) if not is_empty_input(item)]
        raw = raw or NOT_SENT
    else:
        raw = form.get(plan.wire_name, NOT_SENT)
        if raw is not NOT_SENT and is_empty_input(raw):
            raw = NOT_SENT
    if raw is not NOT_SENT and plan.file_kind in ("bytes", "bytes_list"):
        raw = await file_bytes(raw)
    _validate_or_default(plan, raw, values, errors)


async def call_dependant(dependant: Dependant, values: dict, context: RequestContext) -> Any:
    """Call a dependency with its solved arguments, each kind the way it must run."""
    kind = dependant.kind
    if kind == "async":
        return await dependant.call(**values)
    if kind == "sync":
        return await run_in_threadpool(dependant.call, **values)
    if context.exit_stack is None:
        raise RuntimeError(f"generator dependency {dependant.name} needs the request's exit "
                           f"stack, and none was set up: this is a bug in miniasgi")
    if kind == "async_generator":
        manager = contextlib.asynccontextmanager(dependant.call)(**values)
        return await context.exit_stack.enter_async_context(manager)
    manager = contextlib.contextmanager(dependant.call)(**values)
    result = await run_in_threadpool(manager.__enter__)

    async def exit_in_thread(error_type, error, traceback):
        return await run_in_threadpool(manager.__exit__, error_type, error, traceback)

    context.exit_stack.push_async_exit(exit_in_thread)
    return result


def security_requirements(dependant: Dependant) -> tuple[list[dict], dict[str, dict]]:
    """The route's security requirements and the schemes they name, for the OpenAPI document."""
    requirements: list[dict] = []
    schemes: dict[str, dict] = {}
    for node in dependant.walk():
        if isinstance(node.call, SecurityBase):
            name = node.call.security_scheme_name()
            schemes[name] = node.call.openapi_scheme()
            requirement = {name: list(node.security_scopes)}
            if requirement not in requirements:
                requirements.append(requirement)
    return requirements, schemes


def is_form_plan(plan: ParameterPlan) -> bool:
    return isinstance(plan.marker, Form | File)


def is_embedded(plan: ParameterPlan) -> bool:
    return isinstance(plan.marker, Body) and bool(plan.marker.embed)
