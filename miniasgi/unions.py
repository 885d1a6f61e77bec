"""Union[A, B, ...]: which member a value belongs to, and how failures are reported.

pydantic v2's "smart" mode, which FastAPI uses, is kept in two passes:

1. If the value already IS one member's type exactly (an `int` for
   `Union[int, str]`, a `str` for it too), that member is tried first: `"5"`
   stays the string `"5"` rather than becoming the integer 5.
2. Otherwise the members are tried in order with lax conversion, and the first
   that accepts the value wins (`Union[int, bool]` turns `"true"` into True).

A dict that fits several models goes to the one that used most of its keys
(`{"name": "x", "barks": 1}` is a Dog, not a Cat that ignores "barks").

When every member refuses, the client gets every member's errors, each `loc`
tagged with the member's name as pydantic spells it: `["body", "x", "int"]`,
`[..., "list[int]"]`, `[..., "constrained-str"]`, `[..., "enum[Color]"]`,
`[..., "literal['a','b']"]`, a model's class name. `Optional[T]` (a union
with None) is not tagged: None is simply allowed.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from typing import Any, Literal, Union

from miniasgi.coercion import SCALAR_CONVERTERS, Invalid

SCALAR_TAGS = {
    int: "int", float: "float", bool: "bool", str: "str", bytes: "bytes",
    decimal.Decimal: "decimal", uuid.UUID: "uuid", datetime.datetime: "datetime",
    datetime.date: "date", datetime.time: "time", datetime.timedelta: "timedelta",
}
# Types whose constraints make pydantic call the member "constrained-<tag>".
CONSTRAINABLE_TAGS = {int: "int", float: "float", str: "str", bytes: "bytes"}


def union_tag(annotation) -> str:
    """The name pydantic v2 puts in `loc` for a union member that refused the value."""
    from miniasgi.validation import unwrap_annotated

    annotation, constraints = unwrap_annotated(annotation)
    if constraints is not None and not constraints.is_empty() and annotation in CONSTRAINABLE_TAGS:
        return "constrained-" + CONSTRAINABLE_TAGS[annotation]
    if annotation in SCALAR_TAGS:
        return SCALAR_TAGS[annotation]
    if annotation is Any or annotation is object:
        return "any"
    if annotation is None or annotation is type(None):
        return "none"
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is Literal:
        return "literal[" + ",".join(repr(value) for value in arguments) + "]"
    if origin in (Union, types.UnionType):
        members = [member for member in arguments if member is not type(None)]
        if len(members) == 1:
            return f"nullable[{union_tag(members[0])}]"
        inner = ",".join(union_tag(member) for member in members)
        return f"nullable[union[{inner}]]" if len(members) < len(arguments) else f"union[{inner}]"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        for base, prefix in ((int, "int-"), (str, "str-"), (float, "float-")):
            if issubclass(annotation, base):  # IntEnum, StrEnum and their kind: "int-enum[...]"
                return f"{prefix}enum[{annotation.__name__}]"
        return f"enum[{annotation.__name__}]"
    if (origin or annotation) in (list, set, frozenset):
        name = (origin or annotation).__name__
        return f"{name}[{union_tag(arguments[0]) if arguments else 'any'}]"
    if (origin or annotation) is tuple:
        if not arguments:
            return "tuple[any, ...]"
        if len(arguments) == 2 and arguments[1] is ...:
            return f"tuple[{union_tag(arguments[0])}, ...]"
        return "tuple[" + ", ".join(union_tag(argument) for argument in arguments) + "]"
    if (origin or annotation) is dict:
        if not arguments:
            return "dict[any,any]"
        return f"dict[{union_tag(arguments[0])},{union_tag(arguments[1])}]"
    return getattr(annotation, "__name__", repr(annotation))


def exact_types(annotation) -> tuple[type, ...]:
    """The Python types a value can have to count as already being this member."""
    from miniasgi.validation import _is_model, unwrap_annotated

    annotation, _ = unwrap_annotated(annotation)
    if annotation in SCALAR_CONVERTERS:
        return SCALAR_CONVERTERS[annotation][1]
    origin = typing.get_origin(annotation) or annotation
    if origin is Literal:
        return tuple({type(value) for value in typing.get_args(annotation)})
    if origin in (list, set, frozenset, tuple, dict):
        return (origin,)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return (annotation,)
    if _is_model(annotation) or (isinstance(annotation, type)
                                 and dataclasses.is_dataclass(annotation)):
        return (annotation, dict)
    return ()


NO_FIT = object()


def _most_fields_set(candidates: list, value: dict):
    """Of the members that accept the dict, the result that used the most of its keys.

    pydantic's tie-break for `Union[Cat, Dog]`: `{"name": "x", "barks": 1}` fits both
    (Cat ignores "barks"), and Dog wins because it set two fields, not one. Ties go to
    the member listed first.
    """
    best, best_count = NO_FIT, -1
    for check in candidates:
        try:
            result = check(value)
        except Invalid:
            continue
        count = len(getattr(result, "__dict__", {}).get("__fields_set__", ()))
        if count > best_count:
            best, best_count = result, count
    return best


def compile_smart_union(members: tuple, from_attributes: bool = False
                        ) -> typing.Callable[[Any], Any]:
    """The check for a union of two or more non-None members."""
    from miniasgi.validation import compile_check

    compiled = [(union_tag(member), compile_check(member, from_attributes=from_attributes))
                for member in members]
    if any(member is Any or member is object for member in members):
        return lambda value: value
    exact_candidates: dict[type, list] = {}
    for member, (_, check) in zip(members, compiled, strict=True):
        for exact_type in exact_types(member):
            exact_candidates.setdefault(exact_type, []).append(check)

    def union_check(value):
        candidates = exact_candidates.get(type(value), ())
        if len(candidates) > 1 and type(value) is dict:
            best = _most_fields_set(candidates, value)
            if best is not NO_FIT:
                return best
        for check in candidates:
            try:
                return check(value)
            except Invalid:
                pass
        errors = []
        for tag, check in compiled:
            try:
                return check(value)
            except Invalid as invalid:
                for error in invalid.errors:
                    error["loc"] = (tag, *error["loc"])
                errors.extend(invalid.errors)
        raise Invalid(errors)

    return union_check
