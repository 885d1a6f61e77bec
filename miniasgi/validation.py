"""Validation from type hints: an annotation compiled once into a chain of closures.

`def read_item(item_id: int, tags: list[str] = Query([]))` is a promise about
the data an endpoint receives. FastAPI keeps it by handing the annotation to
pydantic on every request; this module walks the annotation ONCE, when the
route is added, and returns a `Validator`: a plain function that converts and
checks a value with no annotation inspection left to do. The walk
(`compile_check` and `_compile_type`) has one branch per kind of annotation:

| annotation                   | compiled into                                            |
|------------------------------|----------------------------------------------------------|
| int, float, bool, str, bytes | a lax converter from miniasgi.coercion                   |
| datetime, date, time         | an RFC 3339 reader (miniasgi.datetimes) or a timestamp   |
| timedelta                    | an ISO 8601 duration reader, or a number of seconds      |
| UUID, Decimal                | a parser (RFC 9562 text forms; decimal text)             |
| NewType("Id", T)             | T's check                                                |
| Annotated[T, constraints]    | T's check, then the limits (miniasgi.constraints)        |
| Optional[T], Union[A, B]     | a "smart" union: the member the value already is wins,   |
|                              | else the first that converts; errors tagged by member    |
| Literal[...], Enum           | a lookup in a dict built at compile time                 |
| list/set/tuple/dict[...],    | a loop over the items; every item's errors are kept      |
| Sequence[T], Mapping[K, V]   | (see miniasgi.containers)                                |
| Model, dataclass             | a field plan (miniasgi.models), with the model's own     |
|                              | @field_validator/@model_validator (miniasgi.validators)  |
| Any                          | nothing: the value passes as it is                       |

Not supported yet (a TypeError at compile time says so): TypedDict (pydantic
needs typing_extensions' version of it on Python 3.11),
Iterable, abstract sets, wrap/plain validators.

Errors are COLLECTED, not stopped at the first: a list reports every bad
item, a model every bad field. Each error's `loc` is the path to the value,
the caller's prefix first (`("body",)` -> `["body", "items", 0, "price"]`),
and `type`/`msg`/`input`/`ctx` are what FastAPI (pydantic v2) answers with.

Where this module deliberately differs from pydantic v2:

| case                              | pydantic v2                      | here                      |
|-----------------------------------|----------------------------------|---------------------------|
| union of list[A] and list[B]      | strict pass over items first     | first member that fits    |
| models tied on fields set         | the one needing no conversion    | the one listed first      |
| `url` key in each error           | present (a docs link)            | absent (FastAPI drops it) |
| strict mode; wrap, plain and      | supported                        | not supported (lax only;  |
| "before" model validators         |                                  | before/after field ones)  |
| error `loc`                       | tuple                            | list, as in JSON answers  |
| int from "0-5" or "0__1" (zeros,  | -5 and 1 (a pydantic-core quirk) | int_parsing error         |
| then "-" or repeated underscores) |                                  |                           |
| float timestamps beyond 1e20      | "numeric times may not exceed.." | "dates after 9999 ..."    |
| Literal of ints beyond 64 bits    | int_parsing_size                 | literal_error             |
| malformed "1  day, 01:00"-style   | its own reasons                  | time_delta_parsing too,   |
| durations (not ISO 8601 "P...")   |                                  | the reason may differ     |
| negative fractional timestamps    | fraction's sign flipped: -0.25 s | 23:59:59.75 the day before|
|                                   | is 23:59:59.25 the day before    | (-0.25 s, as time runs)   |
| timestamp TEXT past 2e13 with a   | divided by 1000 twice            | milliseconds, as the same |
| point, e.g. "30000.E9"            | (1970-12-14)                     | number is (2920-08-30)    |
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from miniasgi.coercion import (
    SCALAR_CONVERTERS,
    Invalid,
    accept_any,
    fail,
    make_error,
    to_int,
    to_none,
)
from miniasgi.constraints import with_constraints

__all__ = [
    "Constraints",
    "ValidationError",
    "Validator",
    "compile_validator",
    "is_body_type",
    "is_sequence_type",
    "missing_error",
]

Check = Callable[[Any], Any]  # value -> converted value, or raises Invalid (relative loc)
Validator = Callable[..., Any]  # (value, loc=()) -> converted value, or raises ValidationError


class ValidationError(Exception):
    """The value did not fit the annotation; `errors` lists every problem found.

    Each error is a dict as FastAPI answers it inside `{"detail": [...]}`:
    `{"type": "int_parsing", "loc": ["query", "limit"], "msg": "...", "input": "ten"}`
    plus `"ctx"` for errors that have parameters (`{"gt": 0}`).
    """

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(errors)

    def __str__(self) -> str:
        count = len(self.errors)
        lines = [f"{count} validation error{'s' if count != 1 else ''}"]
        for error in self.errors:
            where = ".".join(str(part) for part in error["loc"]) or "(value)"
            lines.append(f"  {where}: {error['msg']} [type={error['type']}, "
                         f"input={error['input']!r}]")
        return "\n".join(lines)


@dataclass(frozen=True)
class Constraints:
    """Limits on a value beyond its type, as `Field(gt=0, max_length=50)` declares them."""

    gt: Any = None
    ge: Any = None
    lt: Any = None
    le: Any = None
    multiple_of: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    max_digits: int | None = None  # Decimal only: digits in total
    decimal_places: int | None = None  # Decimal only: digits after the point

    def merged_with(self, other: Constraints | None) -> Constraints:
        """These constraints with `other`'s set values taking precedence."""
        if other is None:
            return self
        changes = {
            field.name: getattr(other, field.name)
            for field in dataclasses.fields(other)
            if getattr(other, field.name) is not None
        }
        return dataclasses.replace(self, **changes)

    def is_empty(self) -> bool:
        return all(getattr(self, field.name) is None for field in dataclasses.fields(self))


def missing_error(loc: tuple) -> dict:
    """The error for a required value that was not sent (a query parameter, a header...)."""
    return make_error("missing", None, loc=list(loc))


def compile_validator(annotation, constraints: Constraints | None = None) -> Validator:
    """Compile `annotation` once into a function `validator(value, loc=()) -> value`.

    The validator converts in lax mode ("5" -> 5) and raises ValidationError
    listing every error, each `loc` being `loc` + the path inside the value.
    Raises TypeError now, at compile time, for an annotation it cannot check.
    """
    check = compile_check(annotation, constraints)

    def validator(value, loc: tuple = ()):
        try:
            return check(value)
        except Invalid as invalid:
            raise ValidationError(_located(invalid.errors, loc)) from None

    validator.check = check
    return validator


def _located(errors: list[dict], loc: tuple) -> list[dict]:
    for error in errors:
        error["loc"] = [*loc, *error["loc"]]
    return errors


def is_body_type(annotation) -> bool:
    """True for what FastAPI reads from the body: a Model, a dataclass, or a dict/list of them."""
    annotation, _ = unwrap_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(is_body_type(member) for member in typing.get_args(annotation)
                   if member is not type(None))
    if origin in (list, set, frozenset, tuple, dict):
        return any(is_body_type(argument) for argument in typing.get_args(annotation)
                   if argument is not Ellipsis)
    return _is_model(annotation) or (
        isinstance(annotation, type) and dataclasses.is_dataclass(annotation)
    )


def is_sequence_type(annotation) -> bool:
    """True for list[...], set[...], tuple[...] (a query parameter that may repeat)."""
    annotation, _ = unwrap_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        return len(members) == 1 and is_sequence_type(members[0])
    return annotation in (list, set, frozenset, tuple) or origin in (list, set, frozenset, tuple)


# ---- the compiler ------------------------------------------------------------------------


def unwrap_annotated(annotation) -> tuple[Any, Constraints | None]:
    """Split Annotated[T, ...] into T and the constraints found in its metadata."""
    found = None
    while typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        for item in metadata:
            item_constraints = item if isinstance(item, Constraints) else getattr(
                item, "constraints", None)
            if isinstance(item_constraints, Constraints):
                found = item_constraints.merged_with(found)
        annotation = base
    return annotation, found


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and hasattr(annotation, "__model_fields__")


def compile_check(annotation, constraints: Constraints | None = None, *,
                  from_attributes: bool = False) -> Check:
    """The raw check for `annotation`: value -> converted value, or raises Invalid.

    from_attributes=True reads models from any object's attributes (response models).
    """
    annotation, inner_constraints = unwrap_annotated(annotation)
    while hasattr(annotation, "__supertype__"):  # typing.NewType("UserId", int) checks as int
        annotation, more_constraints = unwrap_annotated(annotation.__supertype__)
        if more_constraints is not None:
            inner_constraints = more_constraints.merged_with(inner_constraints)
    if inner_constraints is not None:
        constraints = inner_constraints.merged_with(constraints)
    if constraints is not None and constraints.is_empty():
        constraints = None
    if constraints is not None and typing.get_origin(annotation) in (Union, types.UnionType):
        # Query(ge=0) on `int | None` limits the int, not None: push the limits into the
        # members, as pydantic does for Annotated[Optional[int], Field(ge=0)].
        annotation = Union[tuple(Annotated[member, constraints]  # noqa: UP007
                                 if member is not type(None) else member
                                 for member in typing.get_args(annotation))]
        constraints = None
    check = _compile_type(annotation, constraints, from_attributes)
    if constraints is not None:
        check = with_constraints(check, annotation, constraints)
    return check


def _compile_type(annotation, constraints: Constraints | None, from_attributes: bool) -> Check:
    from miniasgi import models  # models imports this module; resolved here at compile time

    origin = typing.get_origin(annotation)
    if annotation is Any or annotation is object:
        return accept_any
    if annotation is None or annotation is type(None):
        return to_none
    if origin in (Union, types.UnionType):
        return _compile_union(typing.get_args(annotation), from_attributes)
    if origin is Literal:
        return _compile_literal(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _compile_enum(annotation)
    if annotation in SCALAR_CONVERTERS:
        return SCALAR_CONVERTERS[annotation][0]
    if _is_model(annotation):
        return models.model_check(annotation, from_attributes)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        from miniasgi.dataclass_validation import dataclass_check

        return dataclass_check(annotation, from_attributes)
    if annotation in CONTAINER_TYPES or origin in CONTAINER_TYPES:
        from miniasgi import containers

        return containers.compile_container(annotation, constraints, from_attributes)
    raise TypeError(
        f"cannot validate values of type {annotation!r}: use str, int, float, bool, "
        f"datetime, date, time, timedelta, UUID, Decimal, an Enum, a Literal, list/set/tuple/dict, a Model "
        f"or a dataclass (or typing.Any to accept anything)"
    )


CONTAINER_TYPES = (list, set, frozenset, tuple, dict, collections.abc.Sequence,
                   collections.abc.MutableSequence, collections.abc.Mapping,
                   collections.abc.MutableMapping)


def _compile_union(members: tuple, from_attributes: bool) -> Check:
    nullable = type(None) in members
    members = tuple(member for member in members if member is not type(None))
    if len(members) == 1:
        inner = compile_check(members[0], from_attributes=from_attributes)
        return _nullable(inner) if nullable else inner
    from miniasgi.unions import compile_smart_union

    check = compile_smart_union(members, from_attributes)
    return _nullable(check) if nullable else check


def _nullable(check: Check) -> Check:
    def nullable_check(value):
        if value is None:
            return None
        return check(value)

    return nullable_check


def _expected_phrase(values: list) -> str:
    """"'a'", "'a' or 'b'", "'a', 'b' or 'c'": how pydantic lists allowed values."""
    written = [repr(value) for value in values]
    if len(written) == 1:
        return written[0]
    return ", ".join(written[:-1]) + " or " + written[-1]


def _compile_literal(allowed: tuple) -> Check:
    # Keyed by (type, value) so that Literal[1] refuses "1", as pydantic does; numbers are
    # then compared as numbers (Literal[1] takes True and 1.0, Literal[True] takes 1).
    lookup = {(type(value), value): value for value in allowed}
    numeric = {}
    for value in allowed:
        if isinstance(value, int):  # int, bool, and IntEnum members (Literal[Level.LOW] takes 1)
            numeric.setdefault(value, value)
    context = {"expected": _expected_phrase(list(allowed))}

    def literal_check(value):
        try:
            return lookup[(type(value), value)]
        except (KeyError, TypeError):
            pass
        if type(value) in (int, bool, float) and value in numeric:
            return numeric[value]
        fail("literal_error", value, dict(context))

    return literal_check


def _compile_enum(enum_class: type[enum.Enum]) -> Check:
    members = list(enum_class)
    by_value = {(type(member.value), member.value): member for member in members}
    integer_valued = all(type(member.value) is int for member in members)
    context = {"expected": _expected_phrase([member.value for member in members])}

    def enum_check(value):
        if type(value) is enum_class:
            return value
        member = by_value.get((type(value), value)) if value.__hash__ else None
        if member is None and integer_valued and type(value) in (str, float, bool):
            try:
                member = by_value.get((int, to_int(value)))  # "1", 1.0, True: as an int reads
            except Invalid:
                member = None
        if member is None:
            fail("enum", value, dict(context))
        return member

    return enum_check
