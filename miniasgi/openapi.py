"""The OpenAPI document: a machine-readable description of every route (OpenAPI 3.1.0).

An OpenAPI document (https://spec.openapis.org/oas/v3.1.0) is one JSON object that
tells a client everything it needs to call an API without reading its source:

    {"openapi": "3.1.0",
     "info":  {"title": ..., "version": ...},                          (§4.8.2)
     "paths": {"/items/{item_id}": {"get": <Operation Object>}},         (§4.8.8, §4.8.10)
     "components": {"schemas": {...}, "securitySchemes": {...}}}         (§4.8.7)

An Operation Object (§4.8.10) lists the operation's parameters (§4.8.12: each with
its name, where it travels - path, query, header or cookie - and a JSON Schema), its
request body (§4.8.13: one schema per media type) and its responses (§4.8.16-17:
keyed by status code as a string, "4XX" ranges, or "default"). OpenAPI 3.1 uses
JSON Schema 2020-12 unchanged, so the schemas come from `miniasgi.jsonschema`;
named models are stored once under components.schemas and referenced with "$ref".

The framework knows the routes; this module knows the document. The app turns each
route into an `OperationInfo` (plain data: what the route's signature says) and
`build_openapi()` turns the list into the document, once, on the first request
for /openapi.json. Nothing here runs per request.

The output follows FastAPI's document shape on purpose, so tools and tests written
against a FastAPI service see the same thing; the choices that shape copies:

- every operation gets a "200" (or its status code) "Successful Response"; a status
  that may not carry a body (1xx, 204, 304, RFC 9110 §6.4.1) gets no "content";
- every operation that takes parameters or a body also documents "422 Validation
  Error" with the HTTPValidationError / ValidationError schemas - unless the route
  already documents "422", "4XX" or "default" itself;
- a body made of several fields (form fields, or Body() parameters side by side)
  becomes a component named "Body_<operationId>";
- uploaded files are strings with contentMediaType application/octet-stream, which
  is how JSON Schema 2020-12 (§8.4) says "raw bytes" (OpenAPI 3.0 said format: binary);
- parameters are listed path, query, header, cookie; keys whose value would be null
  are left out (FastAPI writes its document with exclude_none).

Not copied yet: FastAPI splits a model whose schema differs between reading and
writing (a Decimal field: number-or-string in, string out) into "Item-Input" and
"Item-Output"; here one schema serves both, the one for reading.
"""

from __future__ import annotations

import copy
import http
import re
import types
import typing
import warnings
from dataclasses import dataclass, field
from typing import Any

PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")  # OpenAPI 3.1 §4.8.12.2

JSON_MEDIA_TYPE = "application/json"

REF_PREFIX = "#/components/schemas/"


@dataclass
class ParameterInfo:
    """One parameter as the route declares it; the app fills these in.

    `name` is the wire name (alias applied: a header `x_token` travels as
    "x-token"). `title` overrides the title derived from the name.
    """

    name: str
    location: str  # "path" | "query" | "header" | "cookie"
    annotation: Any
    required: bool = True
    default: Any = None
    constraints: Any = None  # miniasgi.validation.Constraints | None
    description: str | None = None
    deprecated: bool = False
    examples: list | None = None
    title: str | None = None


@dataclass
class RequestBodyInfo:
    """The request body of a route.

    With `fields` None the body is the one annotation (a model, a list, or a single
    Body() value) and `title` is that parameter's title ("Item"). With `fields` the
    body is an object with one property per field (form fields, several Body()
    parameters, or Body(embed=True)): name -> (annotation, required, default,
    constraints) or (annotation, required, default, constraints, description), and
    `title` names its component (FastAPI: "Body_" + operationId).
    """

    annotation: Any
    media_type: str = JSON_MEDIA_TYPE
    required: bool = True
    fields: dict[str, tuple] | None = None
    title: str = "Body"


@dataclass
class OperationInfo:
    """Everything the document says about one (path, method) pair.

    `path` is the template as OpenAPI writes it ("/items/{item_id}", converters such
    as ":int" already stripped). `responses` holds the route's extra responses as
    FastAPI spells them: {404: {"description": ..., "model": SomeModel}, "5XX": {...}}.
    `security` is a list of Security Requirement Objects (§4.8.30): each maps a
    scheme name from components.securitySchemes to the scopes it needs.
    """

    path: str
    method: str
    operation_id: str
    summary: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    status_code: int = 200
    parameters: list[ParameterInfo] = field(default_factory=list)
    request_body: RequestBodyInfo | None = None
    response_model: Any = None
    response_class_media_type: str | None = JSON_MEDIA_TYPE
    responses: dict = field(default_factory=dict)
    security: list[dict[str, list[str]]] = field(default_factory=list)
    deprecated: bool = False
    include_in_schema: bool = True
    response_description: str = "Successful Response"


# -- names the app derives from the endpoint function -------------------------------------


def title_from_name(name: str) -> str:
    """The title JSON Schema shows for a name: "item_id" -> "Item Id", "x-token" -> "X-Token"."""
    return name.title().replace("_", " ")


def field_title_from_name(name: str) -> str:
    """The title of a property in a body object: as title_from_name, then stripped.

    FastAPI builds those objects as pydantic models, whose titles lose the blanks an
    "_" at either end leaves ("q_" -> "Q"); parameter titles keep them ("Q ").
    """
    return title_from_name(name).strip()


def summary_from_name(function_name: str) -> str:
    """The summary an operation gets when none is given: "read_item" -> "Read Item"."""
    return function_name.replace("_", " ").title()


def operation_id_from(function_name: str, path: str, method: str) -> str:
    """("read_item", "/items/{item_id}", "GET") -> "read_item_items__item_id__get".

    Every character that cannot appear in an identifier becomes "_", so the id is
    usable as a function name by client generators, and (name, path, method) keeps
    it unique across the app.
    """
    return re.sub(r"\W", "_", function_name + path) + "_" + method.lower()


# -- the validation error schemas FastAPI documents for "422" -----------------------------

VALIDATION_ERROR_SCHEMAS: dict[str, dict] = {
    "HTTPValidationError": {
        "properties": {
            "detail": {
                "items": {"$ref": REF_PREFIX + "ValidationError"},
                "type": "array",
                "title": "Detail",
            }
        },
        "type": "object",
        "title": "HTTPValidationError",
    },
    "ValidationError": {
        "properties": {
            "loc": {
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "type": "array",
                "title": "Location",
            },
            "msg": {"type": "string", "title": "Message"},
            "type": {"type": "string", "title": "Error Type"},
            "input": {"title": "Input"},
            "ctx": {"type": "object", "title": "Context"},
        },
        "type": "object",
        "required": ["loc", "msg", "type"],
        "title": "ValidationError",
    },
}

VALIDATION_ERROR_RESPONSE = {
    "description": "Validation Error",
    "content": {JSON_MEDIA_TYPE: {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
}

# What FastAPI writes for a range key without a description (OpenAPI 3.1 §4.8.16.2).
RANGE_DESCRIPTIONS = {
    "1XX": "Information",
    "2XX": "Success",
    "3XX": "Redirection",
    "4XX": "Client Error",
    "5XX": "Server Error",
    "DEFAULT": "Default Response",
}


# -- the document ---------------------------------------------------------------------------


def build_openapi(
    *,
    title: str,
    version: str,
    description: str | None = None,
    operations: list[OperationInfo],
    security_schemes: dict[str, dict] | None = None,
    openapi_version: str = "3.1.0",
    servers: list[dict] | None = None,
    summary: str | None = None,
    terms_of_service: str | None = None,
    contact: dict | None = None,
    license_info: dict | None = None,
    tags: list[dict] | None = None,
) -> dict:
    """Return the OpenAPI document (a JSON-ready dict) describing `operations`.

    The optional Info fields (§4.8.2) and `tags` (§4.8.22: [{"name", "description"}],
    their order is the order docs pages show the groups in) are FastAPI's App
    options of the same names (`tags` is its `openapi_tags`).

    Operations with include_in_schema False are left out. Raises ValueError naming
    the route when an operation cannot be described: an unknown parameter location,
    a path parameter missing from the template, or a security requirement naming a
    scheme that `security_schemes` does not define.
    """
    security_schemes = security_schemes or {}
    definitions: dict[str, dict] = {}
    paths = _paths_object(operations, security_schemes, definitions)
    info = {
        "title": title,
        "summary": summary,
        "description": description or None,
        "termsOfService": terms_of_service,
        "contact": contact,
        "license": license_info,
        "version": version,
    }
    components = {
        "schemas": dict(sorted(definitions.items())) or None,
        "securitySchemes": security_schemes or None,
    }
    document = {
        "openapi": openapi_version,
        "info": info,
        "servers": servers or None,
        "paths": paths,
        "components": components if any(components.values()) else None,
        "tags": tags or None,
    }
    return _without_nulls(document)


# Values here are data, not document structure: a default of {"a": None} keeps its None.
DATA_KEYWORDS = frozenset({"default", "examples", "example", "const", "enum"})


def _without_nulls(value: Any) -> Any:
    """Drop every key whose value is None, as FastAPI's document does.

    FastAPI passes its document through its own OpenAPI models and writes them with
    exclude_none, so `note: str | None = None` shows no "default": null there.
    """
    if isinstance(value, dict):
        return {
            key: item if key in DATA_KEYWORDS else _without_nulls(item)
            for key, item in value.items()
            if item is not None
        }
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _paths_object(
    operations: list[OperationInfo], security_schemes: dict, definitions: dict
) -> dict[str, dict]:
    """The Paths Object (§4.8.8): path template -> method -> Operation Object.

    Schemas the operations use are added to `definitions`, the validation error
    schemas among them when some operation takes input (and so may answer 422).
    """
    paths: dict[str, dict] = {}
    seen_operation_ids: set[str] = set()
    for operation in operations:
        if not operation.include_in_schema:
            continue
        _check_operation(operation, security_schemes)
        if operation.operation_id in seen_operation_ids:
            warnings.warn(
                f"duplicate operationId {operation.operation_id!r} "
                f"({operation.method} {operation.path}): give one route another name "
                "or pass operation_id=, or clients generated from the document will clash",
                stacklevel=3,
            )
        seen_operation_ids.add(operation.operation_id)
        if operation.parameters or operation.request_body is not None:
            definitions.update(copy.deepcopy(VALIDATION_ERROR_SCHEMAS))
        methods = paths.setdefault(operation.path, {})
        methods[operation.method.lower()] = _operation_object(operation, definitions)
    return paths


def _check_operation(operation: OperationInfo, security_schemes: dict[str, dict]) -> None:
    where = f"{operation.method} {operation.path}"
    for parameter in operation.parameters:
        if parameter.location not in PARAMETER_LOCATIONS:
            raise ValueError(
                f"{where}: parameter {parameter.name!r} has location {parameter.location!r}: "
                f"use one of {', '.join(PARAMETER_LOCATIONS)}"
            )
        if parameter.location == "path" and "{" + parameter.name + "}" not in operation.path:
            raise ValueError(
                f"{where}: path parameter {parameter.name!r} does not appear in the path: "
                f"write the path as '...{{{parameter.name}}}...' or make it a query parameter"
            )
    for requirement in operation.security:
        for scheme_name in requirement:
            if scheme_name not in security_schemes:
                known = ", ".join(sorted(security_schemes)) or "none"
                raise ValueError(
                    f"{where}: security requirement names scheme {scheme_name!r}, which is "
                    f"not in components.securitySchemes (known: {known}): pass the scheme "
                    "object's openapi_scheme() under that name"
                )


def _operation_object(operation: OperationInfo, definitions: dict) -> dict:
    result: dict[str, Any] = {}
    if operation.tags:
        result["tags"] = list(operation.tags)
    if operation.summary:
        result["summary"] = operation.summary
    if operation.description:
        result["description"] = operation.description
    result["operationId"] = operation.operation_id
    if operation.deprecated:
        result["deprecated"] = True
    if operation.security:
        result["security"] = [dict(requirement) for requirement in operation.security]
    if operation.parameters:
        # FastAPI lists path parameters first, then query, header and cookie ones,
        # each group in declaration order (sorted() is stable).
        parameters = sorted(
            operation.parameters, key=lambda each: PARAMETER_LOCATIONS.index(each.location)
        )
        result["parameters"] = [_parameter_object(each, definitions) for each in parameters]
    if operation.request_body is not None:
        result["requestBody"] = _request_body_object(operation.request_body, definitions)
    result["responses"] = _responses_object(operation, definitions)
    return result


def _parameter_object(parameter: ParameterInfo, definitions: dict) -> dict:
    """A Parameter Object (§4.8.12); FastAPI repeats description/deprecated in the schema."""
    schema = dict(_schema_of(parameter.annotation, parameter.constraints, definitions))
    if parameter.description:
        schema["description"] = parameter.description
    if parameter.deprecated:
        schema["deprecated"] = True
    if parameter.examples:
        schema["examples"] = list(parameter.examples)
    if not parameter.required and parameter.default is not None:
        schema["default"] = _jsonable(parameter.default)
    if "$ref" not in schema:
        schema["title"] = parameter.title or title_from_name(parameter.name)
    result: dict[str, Any] = {
        "name": parameter.name,
        "in": parameter.location,
        # A path parameter is always required (§4.8.12.2: "MUST be true").
        "required": True if parameter.location == "path" else bool(parameter.required),
        "schema": schema,
    }
    if parameter.description:
        result["description"] = parameter.description
    if parameter.deprecated:
        result["deprecated"] = True
    return result


def _request_body_object(body: RequestBodyInfo, definitions: dict) -> dict:
    """A Request Body Object (§4.8.13): one media type, and required only when it is."""
    if body.fields is None:
        schema = dict(_field_schema(body.annotation, None, body.media_type, definitions))
        if set(schema) != {"$ref"}:
            schema["title"] = body.title
    else:
        definitions[body.title] = _object_schema(body, definitions)
        schema = {"$ref": REF_PREFIX + body.title}
    result: dict[str, Any] = {"content": {body.media_type: {"schema": schema}}}
    if body.required:
        result["required"] = True
    return result


def _object_schema(body: RequestBodyInfo, definitions: dict) -> dict:
    properties: dict[str, dict] = {}
    required: list[str] = []
    for name, (annotation, is_required, default, constraints, *more) in body.fields.items():
        schema = dict(_field_schema(annotation, constraints, body.media_type, definitions))
        if "$ref" not in schema:
            schema["title"] = field_title_from_name(name)
        if more and more[0]:
            schema["description"] = more[0]
        if is_required:
            required.append(name)
        elif default is not None:
            schema["default"] = _jsonable(default)
        properties[name] = schema
    result: dict[str, Any] = {"properties": properties, "type": "object"}
    if required:
        result["required"] = required
    result["title"] = body.title
    return result


def _field_schema(annotation: Any, constraints: Any, media_type: str, definitions: dict) -> dict:
    if media_type == "multipart/form-data":
        file_schema = _maybe_file_schema(annotation)
        if file_schema is not None:
            return file_schema
    return _schema_of(annotation, constraints, definitions)


# -- responses ------------------------------------------------------------------------------


def _responses_object(operation: OperationInfo, definitions: dict) -> dict:
    """The Responses Object (§4.8.16): the success response, extras, then 422."""
    media_type = operation.response_class_media_type
    responses: dict[str, dict] = {}
    status_key = str(operation.status_code)
    success: dict[str, Any] = {"description": operation.response_description}
    if media_type and _may_have_body(operation.status_code):
        success["content"] = {media_type: {"schema": _success_schema(operation, definitions)}}
    responses[status_key] = success

    for code, extra in operation.responses.items():
        key = str(code).upper()
        key = "default" if key == "DEFAULT" else key
        response = _extra_response(key, extra, media_type or JSON_MEDIA_TYPE, definitions)
        if key in responses:
            response = _merge(responses[key], response)
        responses[key] = response

    takes_input = bool(operation.parameters) or operation.request_body is not None
    if takes_input and not {"422", "4XX", "default"} & set(responses):
        responses["422"] = copy.deepcopy(VALIDATION_ERROR_RESPONSE)
    return responses


def _may_have_body(status_code: int) -> bool:
    # RFC 9110 §15.2, §15.3.5, §15.4.5: 1xx, 204 and 304 never carry content.
    return not (100 <= status_code < 200 or status_code in (204, 304))


def _success_schema(operation: OperationInfo, definitions: dict) -> dict:
    media_type = operation.response_class_media_type or ""
    if not _is_json(media_type):
        return {"type": "string"}  # HTML, plain text: the body is a string
    if operation.response_model is None:
        return {}  # "any JSON value": the endpoint did not say
    schema = dict(_schema_of(operation.response_model, None, definitions))
    if "$ref" not in schema:
        schema["title"] = title_from_name("Response_" + operation.operation_id)
    return schema


def _extra_response(key: str, extra: dict, media_type: str, definitions: dict) -> dict:
    if not isinstance(extra, dict):
        raise ValueError(
            f"responses[{key!r}] is {extra!r}: give a dict such as "
            '{"description": "Item not found", "model": Message}'
        )
    response = {name: copy.deepcopy(value) for name, value in extra.items() if name != "model"}
    model = extra.get("model")
    if model is not None:
        content = response.setdefault("content", {})
        content.setdefault(media_type, {})["schema"] = _schema_of(model, None, definitions)
    if not response.get("description"):
        response["description"] = _status_description(key)
    return {"description": response.pop("description"), **response}


def _status_description(key: str) -> str:
    if key.upper() in RANGE_DESCRIPTIONS:
        return RANGE_DESCRIPTIONS[key.upper()]
    try:
        return http.HTTPStatus(int(key)).phrase
    except ValueError:
        return "Additional Response"


def _merge(base: dict, update: dict) -> dict:
    """Deep-merge `update` into a copy of `base` (dicts merge, other values replace)."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# -- schemas --------------------------------------------------------------------------------


def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == JSON_MEDIA_TYPE or base.endswith("+json")  # RFC 6839 §3.1


def _schema_of(annotation: Any, constraints: Any, definitions: dict) -> dict:
    # Imported here, not at the top: the validation engineer's module is the one
    # source of JSON Schema, and importing it lazily keeps this module importable
    # (and its errors readable) on its own.
    from miniasgi.jsonschema import schema_of

    return schema_of(annotation, constraints, definitions=definitions, ref_prefix=REF_PREFIX)


def _jsonable(value: Any) -> Any:
    from miniasgi.encoders import jsonable_encoder

    return jsonable_encoder(value)


FILE_SCHEMA = {"type": "string", "contentMediaType": "application/octet-stream"}


def _maybe_file_schema(annotation: Any) -> dict | None:
    """The schema of an upload (bytes, UploadFile, a list or Optional of them), else None."""
    if annotation is bytes or getattr(annotation, "__name__", None) == "UploadFile":
        return dict(FILE_SCHEMA)
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _maybe_file_schema(arguments[0])
    if origin in (list, set, tuple) and arguments:
        item_schema = _maybe_file_schema(arguments[0])
        return None if item_schema is None else {"items": item_schema, "type": "array"}
    if origin in (typing.Union, types.UnionType):
        members = [argument for argument in arguments if argument is not type(None)]
        member_schemas = [_maybe_file_schema(member) for member in members]
        if not member_schemas or None in member_schemas:
            return None
        if len(members) < len(arguments):
            member_schemas.append({"type": "null"})
        return {"anyOf": member_schemas}
    return None
