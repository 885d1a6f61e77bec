"""JSON Schema (draft 2020-12) of type annotations, as pydantic v2 and FastAPI write it.

OpenAPI 3.1 describes request and response bodies with JSON Schema 2020-12
(OpenAPI 3.1 §4.8.24, the Schema Object). `schema_of(annotation)` writes the
schema a FastAPI user would see in /openapi.json for the same annotation:

| annotation            | schema                                                        |
|-----------------------|---------------------------------------------------------------|
| int / float / str     | {"type": "integer"} / "number" / "string"                     |
| bool / None           | {"type": "boolean"} / {"type": "null"}                        |
| datetime, date, UUID  | {"type": "string", "format": "date-time" / "date" / "uuid"}   |
| Decimal               | anyOf number (with bounds), or text matching a digits pattern |
| list[T], set[T]       | {"type": "array", "items": T} (+ "uniqueItems": true)         |
| tuple[A, B]           | {"type": "array", "prefixItems": [A, B], min/maxItems 2}      |
| dict[str, T]          | {"type": "object", "additionalProperties": T}                 |
| Optional[T], Union    | {"anyOf": [T, {"type": "null"}]}                              |
| Literal["a"] / [a, b] | {"const": "a", "type": "string"} / {"enum": [...]}            |
| Enum, Model, dataclass| {"$ref": prefix + Name}, the schema itself in `definitions`   |

Constraints map to JSON Schema validation keywords (JSON Schema Validation
2020-12 §6.2-6.4): gt -> exclusiveMinimum, ge -> minimum, lt ->
exclusiveMaximum, le -> maximum, multiple_of -> multipleOf, lengths ->
minLength/maxLength on strings and minItems/maxItems on arrays, pattern.

A model's schema lists its properties (titled "Item Id" from `item_id`, as
pydantic does), `required`, defaults (JSON-encoded), descriptions and
examples. Properties that are references carry no title, again as pydantic.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from typing import Any, Literal, Union

from miniasgi.validation import Constraints, unwrap_annotated

__all__ = ["schema_of", "model_json_schema", "field_title"]

SIMPLE_SCHEMAS = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    bytes: {"type": "string", "format": "binary"},
    type(None): {"type": "null"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    datetime.timedelta: {"type": "string", "format": "duration"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}

ABSTRACT_CONTAINERS = {collections.abc.Sequence: list, collections.abc.MutableSequence: list,
                       collections.abc.Mapping: dict, collections.abc.MutableMapping: dict}

JSON_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean",
                   type(None): "null"}


def field_title(name: str) -> str:
    """pydantic's field title: "item_id" -> "Item Id", "from_" -> "From"."""
    return name.title().replace("_", " ").strip()


def _is_referenced(annotation) -> bool:
    return isinstance(annotation, type) and (
        issubclass(annotation, enum.Enum)
        or hasattr(annotation, "__model_fields__")
        or dataclasses.is_dataclass(annotation)
    )


def schema_of(annotation, constraints: Constraints | None = None, *, definitions: dict,
              ref_prefix: str = "#/components/schemas/", mode: str = "validation") -> dict:
    """The JSON Schema of `annotation`; referenced schemas are added to `definitions`.

    mode="validation" describes what the server accepts (a request body); mode=
    "serialization" what it sends (a response model): they differ where the output is
    narrower than the input, e.g. a Decimal is accepted as a number or a string but
    always sent as a string. FastAPI uses the serialization schema for a model that
    appears only in responses.
    """
    if mode not in ("validation", "serialization"):
        raise ValueError(f"mode must be 'validation' or 'serialization', not {mode!r}")
    annotation, inner = unwrap_annotated(annotation)
    if hasattr(annotation, "__supertype__"):  # typing.NewType: described as its supertype
        return schema_of(annotation.__supertype__, inner.merged_with(constraints) if inner
                         else constraints, definitions=definitions, ref_prefix=ref_prefix,
                         mode=mode)
    if inner is not None:
        constraints = inner.merged_with(constraints)
    if constraints is not None and typing.get_origin(annotation) in (Union, types.UnionType):
        # Limits on `int | None` describe the int: pydantic writes them inside the anyOf.
        return _union_schema(typing.get_args(annotation), definitions, ref_prefix, mode,
                             constraints)
    if annotation is decimal.Decimal:
        return _decimal_schema(constraints or Constraints(), mode)
    schema = _type_schema(annotation, definitions, ref_prefix, mode)
    if constraints is not None:
        _add_constraints(schema, annotation, constraints)
    return schema


def _decimal_text_pattern(max_digits: int | None, decimal_places: int | None) -> str:
    """The pattern a Decimal sent as text must match, with its digit limits (as pydantic's)."""
    sign_and_zeros = r"^(?!^[-+.]*$)[+-]?0*"  # not empty, not only signs and points
    if max_digits is None and decimal_places is None:
        return sign_and_zeros + r"\d*\.?\d*$"
    if max_digits is None:
        return sign_and_zeros + rf"\d*\.?\d{{0,{decimal_places}}}0*$"
    if decimal_places is None:
        whole_digits, before_point, after_point = max_digits, r"\d*", r"\d*"
    else:
        whole_digits = max(0, max_digits - decimal_places)
        before_point = rf"\d{{0,{whole_digits}}}"
        after_point = rf"\d{{0,{decimal_places}}}"
    # An integer of at most whole_digits, or a number with a point whose digits (the point
    # counted, trailing zeros not) fit in max_digits + 1 characters.
    return (sign_and_zeros + rf"(?:\d{{0,{whole_digits}}}|(?=[\d.]{{1,{max_digits + 1}}}0*$)"
            rf"{before_point}\.{after_point}0*$)")


def _decimal_schema(constraints: Constraints, mode: str) -> dict:
    """A Decimal travels as a number or as text: both are accepted, text is what is sent."""
    text = {"type": "string",
            "pattern": _decimal_text_pattern(constraints.max_digits, constraints.decimal_places)}
    if mode == "serialization":
        return text
    number: dict = {"type": "number"}
    for name, keyword in BOUND_KEYWORDS:
        value = getattr(constraints, name)
        if value is not None:
            number[keyword] = float(value)
    return {"anyOf": [number, text]}


def _type_schema(annotation, definitions: dict, ref_prefix: str, mode: str) -> dict:
    if annotation is None:
        annotation = type(None)
    if annotation in SIMPLE_SCHEMAS:
        return _copy(SIMPLE_SCHEMAS[annotation])
    if annotation is Any or annotation is object:
        return {}
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return _union_schema(arguments, definitions, ref_prefix, mode)
    if origin is Literal:
        return _literal_schema(list(arguments))
    if _is_referenced(annotation):
        _define(annotation, definitions, ref_prefix, mode)
        return {"$ref": ref_prefix + annotation.__name__}
    container = ABSTRACT_CONTAINERS.get(origin or annotation, origin or annotation)
    if container in (list, set, frozenset, tuple):
        return _array_schema(container, arguments, definitions, ref_prefix, mode)
    if container is dict:
        values = (schema_of(arguments[1], definitions=definitions, ref_prefix=ref_prefix,
                            mode=mode) if arguments else True)
        return {"type": "object", "additionalProperties": values}
    raise TypeError(f"no JSON Schema for {annotation!r}: see miniasgi.jsonschema for the "
                    f"supported annotations")


def _union_schema(members: tuple, definitions: dict, ref_prefix: str, mode: str,
                  constraints: Constraints | None = None) -> dict:
    """anyOf the members, null last and nested anyOf lists flattened, as pydantic writes it."""
    choices = []
    for member in members:
        if member is type(None):
            continue
        schema = schema_of(member, constraints, definitions=definitions, ref_prefix=ref_prefix,
                           mode=mode)
        choices.extend(schema["anyOf"] if set(schema) == {"anyOf"} else [schema])
    if type(None) in members:
        choices.append({"type": "null"})
    return {"anyOf": choices}


def _copy(schema: dict) -> dict:
    return {key: (list(map(dict, value)) if key == "anyOf" else value)
            for key, value in schema.items()}


def _literal_schema(values: list) -> dict:
    values = [value.value if isinstance(value, enum.Enum) else value for value in values]
    kinds = {JSON_TYPE_NAMES.get(type(value)) for value in values}
    schema: dict = {"const": values[0]} if len(values) == 1 else {"enum": values}
    if len(kinds) == 1 and None not in kinds:
        schema["type"] = kinds.pop()
    return schema


def _array_schema(container, arguments, definitions, ref_prefix, mode) -> dict:
    def item_schema(item):
        return schema_of(item, definitions=definitions, ref_prefix=ref_prefix, mode=mode)

    if container is tuple and arguments and not (len(arguments) == 2 and arguments[1] is ...):
        if arguments == ((),):
            return {"type": "array", "maxItems": 0}
        return {"type": "array", "prefixItems": [item_schema(item) for item in arguments],
                "minItems": len(arguments), "maxItems": len(arguments)}
    schema: dict = {"type": "array", "items": item_schema(arguments[0]) if arguments else {}}
    if container in (set, frozenset):
        schema["uniqueItems"] = True
    return schema


BOUND_KEYWORDS = (("gt", "exclusiveMinimum"), ("ge", "minimum"), ("lt", "exclusiveMaximum"),
                  ("le", "maximum"), ("multiple_of", "multipleOf"))


def _add_constraints(schema: dict, annotation, constraints: Constraints) -> None:
    origin = typing.get_origin(annotation) or annotation
    for name, keyword in BOUND_KEYWORDS:
        value = getattr(constraints, name)
        if value is not None:
            schema[keyword] = _json_value(value)
    if origin in (list, set, frozenset, tuple):
        names = ("minItems", "maxItems")
    elif origin is dict:
        names = ("minProperties", "maxProperties")
    else:
        names = ("minLength", "maxLength")
    if constraints.min_length is not None:
        schema[names[0]] = constraints.min_length
    if constraints.max_length is not None:
        schema[names[1]] = constraints.max_length
    if constraints.pattern is not None:
        schema["pattern"] = constraints.pattern


def _json_value(value):
    """A constraint value in the schema: a Decimal bound is written as a number."""
    from miniasgi.encoders import jsonable_encoder

    if isinstance(value, decimal.Decimal):
        return float(value)
    return jsonable_encoder(value)


def _json_default(value):
    """A default or example as the model would send it (pydantic's JSON mode: Decimal as text)."""
    from miniasgi.encoders import json_ready

    return json_ready(value)


# ---- named schemas: enums, models, dataclasses -------------------------------------------


def _define(annotation, definitions: dict, ref_prefix: str, mode: str) -> None:
    name = annotation.__name__
    if name in definitions:
        return
    definitions[name] = {}  # placeholder first, so a model that refers to itself ends
    if issubclass(annotation, enum.Enum):
        definitions[name] = _enum_schema(annotation)
    elif hasattr(annotation, "__model_fields__"):
        definitions[name] = _model_schema(annotation, definitions, ref_prefix, mode)
    else:
        definitions[name] = _dataclass_schema(annotation, definitions, ref_prefix, mode)


def _enum_schema(enum_class) -> dict:
    values = [member.value for member in enum_class]
    schema = {"enum": values, "title": enum_class.__name__}
    kinds = {JSON_TYPE_NAMES.get(type(value)) for value in values}
    if len(kinds) == 1 and None not in kinds:
        schema["type"] = kinds.pop()
    if enum_class.__doc__ and enum_class.__doc__ != enum.Enum.__doc__ and \
            "An enumeration." not in enum_class.__doc__:
        schema["description"] = enum_class.__doc__.strip()
    return schema


def _property_schema(annotation, constraints, *, title: str, has_default: bool, default,
                     description, examples, definitions, ref_prefix, mode) -> dict:
    schema = schema_of(annotation, constraints, definitions=definitions, ref_prefix=ref_prefix,
                       mode=mode)
    base, _ = unwrap_annotated(annotation)
    members = [member for member in typing.get_args(base) if member is not type(None)] \
        if typing.get_origin(base) in (Union, types.UnionType) else [base]
    if not (len(members) == 1 and _is_referenced(members[0])):
        schema["title"] = title
    if has_default:
        schema["default"] = _json_default(default)
    if description:
        schema["description"] = description
    if examples is not None:
        schema["examples"] = _json_default(examples)
    return schema


def _model_schema(model, definitions: dict, ref_prefix: str, mode: str) -> dict:
    from miniasgi.models import resolve_fields

    properties = {}
    required = []
    for name, info in resolve_fields(model).items():
        key = info.alias or name
        has_default = not info.required and info.default_factory is None
        properties[key] = _property_schema(
            info.annotation, info.constraints, title=info.title or field_title(key),
            has_default=has_default, default=info.default, description=info.description,
            examples=info.examples, definitions=definitions, ref_prefix=ref_prefix, mode=mode)
        if info.required:
            required.append(key)
    schema: dict = {"properties": properties}
    if required:
        schema["required"] = required
    schema["title"] = model.__name__
    schema["type"] = "object"
    if model.__doc__:
        schema["description"] = _clean_docstring(model.__doc__)
    if model.model_config.get("extra") == "forbid":
        schema["additionalProperties"] = False
    return schema


def _clean_docstring(text: str) -> str:
    import inspect

    return inspect.cleandoc(text)


def _dataclass_schema(cls, definitions: dict, ref_prefix: str, mode: str) -> dict:
    hints = typing.get_type_hints(cls, include_extras=True)
    properties = {}
    required = []
    for field in dataclasses.fields(cls):
        has_default = field.default is not dataclasses.MISSING
        properties[field.name] = _property_schema(
            hints[field.name], None, title=field_title(field.name), has_default=has_default,
            default=field.default, description=None, examples=None, definitions=definitions,
            ref_prefix=ref_prefix, mode=mode)
        if not has_default and field.default_factory is dataclasses.MISSING:
            required.append(field.name)
    schema: dict = {"properties": properties}
    if required:
        schema["required"] = required
    schema["title"] = cls.__name__
    schema["type"] = "object"
    return schema


def model_json_schema(model, mode: str = "validation") -> dict:
    """A model's own schema with nested schemas under "$defs" (Model.model_json_schema)."""
    definitions: dict = {}
    schema = _model_schema(model, definitions, "#/$defs/", mode)
    definitions.pop(model.__name__, None)
    if definitions:
        schema = {"$defs": dict(sorted(definitions.items())), **schema}
    return schema
