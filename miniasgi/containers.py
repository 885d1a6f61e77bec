"""Validating containers: list, set, frozenset, tuple and dict, item by item.

A container check converts the container first (lax: a list may arrive as a
tuple or a set, as pydantic v2 allows), then runs the compiled item check on
each element and KEEPS GOING after a bad one, so the client learns about every
bad item at once. An item's errors get its index (or its key) put in front of
their `loc`: a bad price in the third item of `items` is reported at
`["body", "items", 2, "price"]`. A bad dict key is reported at
`[key, "[key]"]`, pydantic's spelling.

Length limits (`Field(min_length=1)` on a list) are checked after the items,
with pydantic's `too_short` / `too_long` errors ("List should have at least 1
item after validation, not 0").
"""

from __future__ import annotations

import collections
import typing
from typing import Any

from miniasgi.coercion import Invalid, fail, make_error

# What each container accepts as input besides itself (pydantic v2's lax rules: no str, no dict
# for sequences, since iterating those silently gives characters or keys).
SEQUENCE_INPUTS = (list, tuple, set, frozenset, collections.deque,
                   type({}.keys()), type({}.values()))

# typing's abstract containers, and the concrete check each gets.
ABSTRACT_TO_CONCRETE = {
    list: list, set: set, frozenset: frozenset, tuple: tuple, dict: dict,
    collections.abc.Sequence: collections.abc.Sequence,
    collections.abc.MutableSequence: list,
    collections.abc.Mapping: dict, collections.abc.MutableMapping: dict,
}

FIELD_TYPE_NAMES = {collections.abc.Sequence: "List", list: "List", set: "Set", frozenset: "Frozenset", tuple: "Tuple",
                    dict: "Dictionary"}
TYPE_ERRORS = {list: "list_type", set: "set_type", frozenset: "frozen_set_type",
               tuple: "tuple_type", dict: "dict_type"}


def _prefix(errors: list[dict], key) -> list[dict]:
    for error in errors:
        error["loc"] = (key, *error["loc"])
    return errors


def compile_container(annotation, constraints, from_attributes: bool = False
                      ) -> typing.Callable[[Any], Any]:
    """The check for list/set/frozenset/tuple/dict[...] with optional length constraints."""
    from miniasgi import validation

    def compile_check(item_annotation):
        return validation.compile_check(item_annotation, from_attributes=from_attributes)

    origin = ABSTRACT_TO_CONCRETE.get(typing.get_origin(annotation) or annotation)
    arguments = typing.get_args(annotation)
    if origin is collections.abc.Sequence:
        check = _abstract_sequence_check(compile_check(arguments[0]) if arguments else None)
    elif origin is dict:
        key_check = compile_check(arguments[0]) if arguments else None
        value_check = compile_check(arguments[1]) if arguments else None
        check = _dict_check(key_check, value_check)
    elif origin is tuple and arguments and not (len(arguments) == 2 and arguments[1] is ...):
        positional = () if arguments == ((),) else tuple(compile_check(a) for a in arguments)
        check = _positional_tuple_check(positional)
    else:
        item_check = compile_check(arguments[0]) if arguments else None
        check = _sequence_check(origin, item_check)
    if constraints is not None and (constraints.min_length is not None
                                    or constraints.max_length is not None):
        check = _with_length_limits(check, FIELD_TYPE_NAMES[origin],
                                    constraints.min_length, constraints.max_length)
    return check


def _check_items(items, item_check) -> list:
    """Run item_check over items, collecting every item's errors under its index."""
    try:
        return [item_check(item) for item in items]  # the common case: all items fit
    except Invalid:
        pass  # do it again slowly, to report every bad item and not only the first
    results = []
    errors = None
    for index, item in enumerate(items):
        try:
            results.append(item_check(item))
        except Invalid as invalid:
            errors = (errors or []) + _prefix(invalid.errors, index)
    if errors:
        raise Invalid(errors)
    return results


def _sequence_check(origin, item_check):
    error_type = TYPE_ERRORS[origin]
    build = {list: list, set: set, frozenset: frozenset, tuple: tuple}[origin]

    def sequence_check(value):
        if not isinstance(value, SEQUENCE_INPUTS):
            fail(error_type, value)
        if item_check is None:
            return value if type(value) is origin else build(value)
        items = _check_items(value, item_check)
        return items if origin is list else build(items)

    return sequence_check


def _abstract_sequence_check(item_check):
    """Sequence[T]: a list stays a list and a tuple a tuple; text is refused (pydantic's rule:
    a str is a sequence of characters, almost never what a Sequence[str] field means)."""

    def abstract_sequence_check(value):
        if isinstance(value, str | bytes):
            fail("sequence_str", value, {"type_name": type(value).__name__})
        if not isinstance(value, list | tuple):
            fail("is_instance_of", value, {"class": "Sequence"})
        if item_check is None:
            return value
        items = _check_items(value, item_check)
        return items if isinstance(value, list) else tuple(items)

    return abstract_sequence_check


def _positional_tuple_check(item_checks: tuple):
    expected_length = len(item_checks)

    def positional_tuple_check(value):
        if not isinstance(value, SEQUENCE_INPUTS):
            fail("tuple_type", value)
        items = list(value)
        if len(items) > expected_length:
            fail("too_long", value, {"field_type": "Tuple", "max_length": expected_length,
                                     "actual_length": len(items)})
        results = []
        errors = []
        for index, item_check in enumerate(item_checks):
            if index >= len(items):
                errors.append(make_error("missing", value, loc=(index,)))
                continue
            try:
                results.append(item_check(items[index]))
            except Invalid as invalid:
                errors.extend(_prefix(invalid.errors, index))
        if errors:
            raise Invalid(errors)
        return tuple(results)

    return positional_tuple_check


def _dict_check(key_check, value_check):
    def dict_check(value):
        if not isinstance(value, dict):
            fail("dict_type", value)
        if key_check is None:
            return dict(value)
        result = {}
        errors = None
        for key, item in value.items():
            try:
                checked_key = key_check(key)
            except Invalid as invalid:
                errors = (errors or []) + _prefix(_prefix(invalid.errors, "[key]"), key)
                checked_key = None
            try:
                checked_item = value_check(item)
            except Invalid as invalid:
                errors = (errors or []) + _prefix(invalid.errors, key)
                continue
            if errors is None:
                result[checked_key] = checked_item
        if errors:
            raise Invalid(errors)
        return result

    return dict_check


def _with_length_limits(check, field_type: str, min_length, max_length):
    def length_limited_check(value):
        result = check(value)
        length = len(result)
        if min_length is not None and length < min_length:
            fail("too_short", value, {"field_type": field_type, "min_length": min_length,
                                      "actual_length": length})
        if max_length is not None and length > max_length:
            fail("too_long", value, {"field_type": field_type, "max_length": max_length,
                                     "actual_length": length})
        return result

    return length_limited_check
