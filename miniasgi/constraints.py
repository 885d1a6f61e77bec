"""Constraints: the limits a value must keep beyond its type (Field(gt=0, max_length=50)).

A constraint runs after the value has been converted to its type, and reports
the value as the client sent it. pydantic checks them in a fixed order and
stops at the first that fails, so this module does too:

| order | constraint                 | applies to              | error type               |
|-------|----------------------------|-------------------------|--------------------------|
| 1     | min_length, max_length     | str, bytes              | string_too_short/_long,  |
|       |                            |                         | bytes_too_short/_long    |
| 2     | pattern (searched, not     | str                     | string_pattern_mismatch  |
|       | anchored: add ^ and $)     |                         |                          |
| 3     | max_digits, decimal_places | Decimal                 | decimal_max_digits, ...  |
| 4     | multiple_of                | numbers                 | multiple_of              |
| 5     | le, lt, ge, gt             | numbers, dates, times   | less_than_equal, ...     |

Containers (list, set, tuple, dict) apply min_length/max_length themselves
(miniasgi.containers: too_short/too_long). A constraint that cannot apply to
the type (max_length on an int) is refused when the route is compiled, not
when the first request arrives.
"""

from __future__ import annotations

import datetime
import decimal
import re
import typing

from miniasgi.coercion import fail

SIZED_NAMES = {list: "List", set: "Set", frozenset: "Set", tuple: "Tuple", dict: "Dictionary"}


def with_constraints(check, annotation, constraints):
    """Wrap `check` (value -> converted value) with the checks of `constraints`
    (a miniasgi.validation.Constraints), in pydantic's order: the first failure wins."""
    origin = typing.get_origin(annotation) or annotation
    if origin in SIZED_NAMES:
        return check  # containers apply their own length limits (see miniasgi.containers)
    _refuse_constraints_that_cannot_apply(annotation, constraints)
    steps = []
    noun = "bytes" if annotation is bytes else "string"  # bytes_too_long, string_too_long
    if constraints.min_length is not None:
        steps.append(_min_length_step(constraints.min_length, noun + "_too_short"))
    if constraints.max_length is not None:
        steps.append(_max_length_step(constraints.max_length, noun + "_too_long"))
    if constraints.pattern is not None:
        steps.append(_pattern_step(constraints.pattern))
    if constraints.max_digits is not None or constraints.decimal_places is not None:
        steps.append(_decimal_digits_step(constraints.max_digits, constraints.decimal_places))
    if constraints.multiple_of is not None:
        steps.append(_multiple_of_step(constraints.multiple_of))
    for name, kind, holds in (
        ("le", "less_than_equal", lambda value, bound: value <= bound),
        ("lt", "less_than", lambda value, bound: value < bound),
        ("ge", "greater_than_equal", lambda value, bound: value >= bound),
        ("gt", "greater_than", lambda value, bound: value > bound),
    ):
        bound = getattr(constraints, name)
        if bound is not None:
            steps.append(_bound_step(name, kind, bound, holds))

    if len(steps) == 1:
        (only_step,) = steps

        def single_constraint_check(value):
            converted = check(value)
            only_step(converted, value)
            return converted

        return single_constraint_check

    def constrained_check(value):
        converted = check(value)
        for step in steps:
            step(converted, value)
        return converted

    return constrained_check


TEXT_TYPES = (str, bytes)
ORDERED_TYPES = (int, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time,
                 datetime.timedelta)


def _refuse_constraints_that_cannot_apply(annotation, constraints) -> None:
    """max_length on an int, gt on a str: a mistake in the declaration, caught at startup."""
    if annotation not in TEXT_TYPES + ORDERED_TYPES:
        return
    text_limits = [name for name in ("min_length", "max_length", "pattern")
                   if getattr(constraints, name) is not None]
    if annotation is not decimal.Decimal:
        text_limits += [name for name in ("max_digits", "decimal_places")
                        if getattr(constraints, name) is not None]
    number_limits = [name for name in ("gt", "ge", "lt", "le", "multiple_of")
                     if getattr(constraints, name) is not None]
    wrong = text_limits if annotation in ORDERED_TYPES else number_limits
    if wrong:
        raise TypeError(
            f"cannot apply {', '.join(wrong)} to {annotation.__name__} values: length and "
            f"pattern limits are for str, bytes and containers; gt/ge/lt/le/multiple_of for "
            f"numbers, dates and times; max_digits/decimal_places for Decimal")


def _min_length_step(limit: int, kind: str):
    def step(converted, original):
        if len(converted) < limit:
            fail(kind, original, {"min_length": limit})

    return step


def _max_length_step(limit: int, kind: str):
    def step(converted, original):
        if len(converted) > limit:
            fail(kind, original, {"max_length": limit})

    return step


def _pattern_step(pattern: str):
    try:
        compiled = re.compile(pattern)
    except re.error as problem:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {problem}")\
            from None

    def step(converted, original):
        if compiled.search(converted) is None:  # search, not match: pydantic's semantics
            fail("string_pattern_mismatch", original, {"pattern": pattern})

    return step


def decimal_digits(number: decimal.Decimal) -> tuple[int, int]:
    """(digits in total, digits after the point) of a Decimal, trailing zeros not counted.

    Decimal("1.20") has 2 digits, 1 after the point; Decimal("100") has 3, none after;
    Decimal("0.001") has 3 (the places after the point), 3 after.
    """
    _, digits, exponent = number.normalize().as_tuple()
    if exponent >= 0:
        return len(digits) + exponent, 0
    return max(len(digits), -exponent), -exponent


def _decimal_digits_step(max_digits: int | None, decimal_places: int | None):
    whole_digits = None
    if max_digits is not None and decimal_places is not None:
        whole_digits = max_digits - decimal_places

    def step(converted, original):
        digits, places = decimal_digits(converted)
        if max_digits is not None and digits > max_digits:
            fail("decimal_max_digits", original, {"max_digits": max_digits})
        if decimal_places is not None and places > decimal_places:
            fail("decimal_max_places", original, {"decimal_places": decimal_places})
        if whole_digits is not None and digits - places > whole_digits:
            fail("decimal_whole_digits", original, {"whole_digits": whole_digits})

    return step


def _multiple_of_step(multiple_of):
    def step(converted, original):
        if type(converted) is int and type(multiple_of) is int:
            fits = converted % multiple_of == 0
        else:
            # Floats are inexact (0.3 % 0.1 != 0): accept a remainder within a tolerance
            # of either end, as pydantic-core does.
            remainder = converted % multiple_of
            tolerance = abs(multiple_of) / 1e9
            fits = abs(remainder) <= tolerance or abs(remainder - multiple_of) <= tolerance
        if not fits:
            fail("multiple_of", original, {"multiple_of": multiple_of})

    return step


def _bound_step(name: str, kind: str, bound, holds):
    # pydantic reports a date or time bound as its text in ctx (numbers stay numbers).
    shown = str(bound) if isinstance(bound, datetime.date | datetime.time) else bound

    def step(converted, original):
        if not holds(converted, bound):
            fail(kind, original, {name: shown})

    return step
