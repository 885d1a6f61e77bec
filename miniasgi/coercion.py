"""Lax conversion of single values, and the catalogue of error types.

HTTP hands a framework text: a query string's `?limit=5` arrives as the string
`"5"`, and even a JSON body has no date type. Validation therefore *converts*
as it checks, in the "lax mode" pydantic v2 defines and FastAPI users expect:

| target   | accepted besides itself                                             |
|----------|---------------------------------------------------------------------|
| int      | "5", " 5 ", "1_000", "5.0"; 5.0 (not 5.5); True; Decimal("3")       |
| float    | int, bool, any string Python's float() reads ("1e3", "inf")         |
| bool     | 0/1, 0.0/1.0, and the strings 0 1 f t n y no on off yes true false  |
| str      | bytes (UTF-8), an Enum member whose value is a string               |
| Decimal  | int, float, numeric strings; NaN and Infinity are refused           |
| UUID     | the 32-hex, hyphenated, {braced} and urn:uuid: forms; 16 raw bytes  |
| datetime | RFC 3339 text, a date, a Unix timestamp (number or digit string)    |
| date     | "YYYY-MM-DD", a datetime or timestamp that falls exactly at midnight |
| time     | "HH:MM[:SS[.f]][offset]", seconds since midnight (as UTC)           |
| timedelta| ISO 8601 "P1DT2H", "1 day, 02:00:00", a number of seconds           |

Every function here takes a value and returns the converted value or raises
`Invalid`, which carries a list of error dicts shaped as FastAPI answers them
inside `{"detail": [...]}`: `{"type", "loc", "msg", "input", "ctx"?}`. The
`type` codes and `msg` texts are pydantic v2's, so a client written against a
FastAPI service reads our 422 answers unchanged. `loc` is relative here; the
containers that call these functions prefix it (see miniasgi.validation).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import math
import re
import uuid

from miniasgi.datetimes import (
    DateParseError,
    maybe_timestamp,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
    seconds_to_duration,
    seconds_to_time,
    timestamp_to_datetime,
)


class Invalid(Exception):
    """Raised by a compiled check: `errors` lists every problem found, loc relative."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# type code -> message; a callable gets the ctx dict. pydantic-core's messages.
MESSAGES = {
    "missing": "Field required",
    "value_error": lambda c: f"Value error, {c['error']}",
    "assertion_error": lambda c: f"Assertion failed, {c['error']}",
    "extra_forbidden": "Extra inputs are not permitted",
    "none_required": "Input should be None",
    "int_type": "Input should be a valid integer",
    "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "int_parsing_size": "Unable to parse input string as an integer, exceeded maximum size",
    "int_from_float": "Input should be a valid integer, got a number with a fractional part",
    "finite_number": "Input should be a finite number",
    "float_type": "Input should be a valid number",
    "float_parsing": "Input should be a valid number, unable to parse string as a number",
    "bool_type": "Input should be a valid boolean",
    "bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "string_type": "Input should be a valid string",
    "string_unicode": "Input should be a valid string, unable to parse raw data as a unicode string",
    "bytes_type": "Input should be a valid bytes",
    "string_too_short": lambda c: f"String should have at least {_plural(c['min_length'], 'character')}",
    "string_too_long": lambda c: f"String should have at most {_plural(c['max_length'], 'character')}",
    "bytes_too_short": lambda c: f"Data should have at least {_plural(c['min_length'], 'byte')}",
    "bytes_too_long": lambda c: f"Data should have at most {_plural(c['max_length'], 'byte')}",
    "string_pattern_mismatch": lambda c: f"String should match pattern '{c['pattern']}'",
    "greater_than": lambda c: f"Input should be greater than {c['gt']}",
    "greater_than_equal": lambda c: f"Input should be greater than or equal to {c['ge']}",
    "less_than": lambda c: f"Input should be less than {c['lt']}",
    "less_than_equal": lambda c: f"Input should be less than or equal to {c['le']}",
    "multiple_of": lambda c: f"Input should be a multiple of {c['multiple_of']}",
    "literal_error": lambda c: f"Input should be {c['expected']}",
    "enum": lambda c: f"Input should be {c['expected']}",
    "list_type": "Input should be a valid list",
    "sequence_str": lambda c: f"'{c['type_name']}' instances are not allowed as a Sequence value",
    "is_instance_of": lambda c: f"Input should be an instance of {c['class']}",
    "set_type": "Input should be a valid set",
    "frozen_set_type": "Input should be a valid frozenset",
    "tuple_type": "Input should be a valid tuple",
    "dict_type": "Input should be a valid dictionary",
    "too_short": lambda c: (
        f"{c['field_type']} should have at least {_plural(c['min_length'], 'item')} "
        f"after validation, not {c['actual_length']}"
    ),
    "too_long": lambda c: (
        f"{c['field_type']} should have at most {_plural(c['max_length'], 'item')} "
        f"after validation, not {c['actual_length']}"
    ),
    "model_type": lambda c: f"Input should be a valid dictionary or instance of {c['class_name']}",
    "model_attributes_type": (
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "dataclass_type": lambda c: f"Input should be a dictionary or an instance of {c['class_name']}",
    "json_invalid": "JSON decode error",  # ctx {"error": ...} carries the detail
    "uuid_type": "UUID input should be a string, bytes or UUID object",
    "uuid_parsing": lambda c: f"Input should be a valid UUID, {c['error']}",
    "datetime_type": "Input should be a valid datetime",
    "datetime_parsing": lambda c: f"Input should be a valid datetime, {c['error']}",
    "datetime_from_date_parsing": lambda c: f"Input should be a valid datetime or date, {c['error']}",
    "time_type": "Input should be a valid time",
    "time_parsing": lambda c: f"Input should be in a valid time format, {c['error']}",
    "time_delta_type": "Input should be a valid timedelta",
    "time_delta_parsing": lambda c: f"Input should be a valid timedelta, {c['error']}",
    "date_type": "Input should be a valid date",
    "date_parsing": lambda c: f"Input should be a valid date in the format YYYY-MM-DD, {c['error']}",
    "date_from_datetime_parsing": lambda c: f"Input should be a valid date or datetime, {c['error']}",
    "date_from_datetime_inexact": (
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "decimal_type": "Decimal input should be an integer, float, string or Decimal object",
    "decimal_parsing": "Input should be a valid decimal",
    "decimal_max_digits": lambda c: (
        f"Decimal input should have no more than {_plural(c['max_digits'], 'digit')} in total"),
    "decimal_max_places": lambda c: (
        f"Decimal input should have no more than {_plural(c['decimal_places'], 'decimal place')}"),
    "decimal_whole_digits": lambda c: (
        f"Decimal input should have no more than {_plural(c['whole_digits'], 'digit')} "
        f"before the decimal point"),
}


def make_error(kind: str, value, ctx: dict | None = None, loc: tuple = ()) -> dict:
    """One error dict in FastAPI's shape; `kind` must be a key of MESSAGES."""
    message = MESSAGES[kind]
    error = {"type": kind, "loc": loc, "msg": message(ctx) if callable(message) else message,
             "input": value}
    if ctx is not None:
        error["ctx"] = ctx
    return error


def fail(kind: str, value, ctx: dict | None = None):
    """Raise Invalid holding one error at the current location."""
    raise Invalid([make_error(kind, value, ctx)])


# ---- numbers -------------------------------------------------------------------------------

# Digits with single underscores between them, then optionally ".000" (pydantic reads "5.00").
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
# The whitespace pydantic trims around numbers: Unicode's White_Space (Rust's trim()), which
# unlike Python's str.strip() leaves the ASCII separators \x1c-\x1f in place.
UNICODE_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                       "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# pydantic keeps integers that came as floats within 64 bits; past that a float has lost digits.
FLOAT_TO_INT_LIMIT = 2.0**63


def to_int(value) -> int:
    kind = type(value)
    if kind is int:
        return value
    if kind is str:
        if value.isascii() and value.isdigit() and len(value) < 4300:  # "42": the common case
            return int(value)
        text = value.strip(UNICODE_WHITE_SPACE)
        if INTEGER_TEXT.fullmatch(text):
            try:
                return int(text.partition(".")[0])
            except ValueError:  # more digits than Python's int() limit (4300) reads
                fail("int_parsing_size", value)
        fail("int_parsing", value)
    if kind is bool:
        return int(value)
    if kind is float:
        if not math.isfinite(value):
            fail("finite_number", value)
        if not value.is_integer():
            fail("int_from_float", value)
        if abs(value) >= FLOAT_TO_INT_LIMIT:
            fail("int_parsing_size", value)
        return int(value)
    if kind is decimal.Decimal:
        if not value.is_finite():
            fail("finite_number", value)
        if value != value.to_integral_value():
            fail("int_from_float", value)
        return int(value)
    if isinstance(value, int):  # an IntEnum member or another int subclass
        return int(value)
    fail("int_type", value)


def to_float(value) -> float:
    kind = type(value)
    if kind is float:
        return value
    if kind is int or kind is bool:
        return float(value)
    if kind is str:
        # pydantic trims whitespace unless the number has underscores ("1_0 " is refused),
        # and drops single underscores anywhere inside ("1_.5", "1e_5"; not "_1", "1__0").
        text = value if "_" in value else value.strip(UNICODE_WHITE_SPACE)
        if "_" in text:
            if text.startswith("_") or text.endswith("_") or "__" in text:
                fail("float_parsing", value)
            text = text.replace("_", "")
        # float() alone would also read non-ASCII digits and strip \x1c-\x1f; pydantic does not.
        if text.isascii() and not any(character.isspace() for character in text):
            try:
                return float(text)
            except ValueError:
                pass
        fail("float_parsing", value)
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    fail("float_type", value)


def to_decimal(value) -> decimal.Decimal:
    kind = type(value)
    if kind is decimal.Decimal:
        number = value
    elif kind is int or kind is float:
        number = decimal.Decimal(str(value))
    elif kind is str:
        try:
            number = decimal.Decimal(value.strip())
        except decimal.InvalidOperation:
            fail("decimal_parsing", value)
    else:
        fail("decimal_type", value)
    if not number.is_finite():
        fail("finite_number", value)
    return number


TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE_WORDS = frozenset({"0", "off", "f", "false", "n", "no"})


def to_bool(value) -> bool:
    kind = type(value)
    if kind is bool:
        return value
    if kind is str:
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        fail("bool_parsing", value)
    if kind is int:
        if value in (0, 1):
            return bool(value)
        fail("bool_parsing", value)
    if kind is float:
        if value in (0.0, 1.0):
            return bool(value)
        if value.is_integer() and abs(value) < FLOAT_TO_INT_LIMIT:
            fail("bool_parsing", value)
    fail("bool_type", value)


# ---- text ----------------------------------------------------------------------------------


def to_str(value) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is bytes or kind is bytearray:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            fail("string_unicode", value)
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    if isinstance(value, str):  # a str subclass (a StrEnum member is caught above)
        return str(value)
    fail("string_type", value)


def to_bytes(value) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    fail("bytes_type", value)


def accept_any(value):
    return value


def to_none(value) -> None:
    if value is None:
        return None
    fail("none_required", value)


# ---- UUID (RFC 9562 §4: 8-4-4-4-12 hex digits) ---------------------------------------------

HEX_AND_HYPHEN = frozenset("0123456789abcdefABCDEF-")
UUID_GROUP_LENGTHS = (8, 4, 4, 4, 12)


def _uuid_problem(text: str) -> str:
    """Explain why `text` is not a UUID, in the words of Rust's uuid crate (pydantic's)."""
    offset, body = 0, text
    if text.startswith("urn:uuid:"):
        offset, body = 9, text[9:]
    elif text.startswith("{") and text.endswith("}"):
        offset, body = 1, text[1:-1]
    for index, character in enumerate(body):
        if character not in HEX_AND_HYPHEN:
            return f"invalid character: found `{character}` at {offset + index + 1}"
    if "-" not in body:
        return f"invalid length: expected length 32 for simple format, found {len(body)}"
    groups = body.split("-")
    if len(groups) != 5:
        return f"invalid group count: expected 5, found {len(groups)}"
    for number, (group, expected) in enumerate(zip(groups, UUID_GROUP_LENGTHS, strict=True)):
        if len(group) != expected:
            return f"invalid group length in group {number}: expected {expected}, found {len(group)}"
    return "invalid UUID"


def to_uuid(value) -> uuid.UUID:
    if type(value) is uuid.UUID:
        return value
    if type(value) is bytes and len(value) == 16:
        return uuid.UUID(bytes=value)
    if type(value) is bytes:
        value = value.decode("latin-1")
    if not isinstance(value, str):
        fail("uuid_type", value)
    text = value
    body = text[9:] if text.startswith("urn:uuid:") else text
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    hex_digits = body.replace("-", "") if len(body) == 36 else body
    if len(hex_digits) == 32 and all(character in HEX_AND_HYPHEN for character in hex_digits):
        if len(body) == 32 or [len(group) for group in body.split("-")] == [8, 4, 4, 4, 12]:
            return uuid.UUID(hex=hex_digits)
    problem = _uuid_problem(text)
    fail("uuid_parsing", value, {"error": problem})


# ---- dates and times -----------------------------------------------------------------------


def to_datetime(value) -> datetime.datetime:
    kind = type(value)
    if kind is datetime.datetime:
        return value
    if kind is str:
        return _datetime_from_text(value)
    if kind is datetime.date:
        return datetime.datetime(value.year, value.month, value.day)
    if kind is int or kind is float:
        return _datetime_from_timestamp(value, value)
    if isinstance(value, datetime.datetime):
        return value
    fail("datetime_type", value)


def _datetime_from_timestamp(timestamp, original, kind="datetime_parsing") -> datetime.datetime:
    try:
        return timestamp_to_datetime(timestamp)
    except DateParseError as problem:
        fail(kind, original, {"error": str(problem)})


def _datetime_from_text(text: str) -> datetime.datetime:
    timestamp = maybe_timestamp(text)
    if timestamp is not None:
        return _datetime_from_timestamp(timestamp, text, "datetime_from_date_parsing")
    try:
        return parse_datetime(text)
    except DateParseError:
        pass
    try:
        date = parse_date(text)
    except DateParseError as problem:
        fail("datetime_from_date_parsing", text, {"error": str(problem)})
    return datetime.datetime(date.year, date.month, date.day)


def _date_from_exact_datetime(moment: datetime.datetime, original) -> datetime.date:
    if moment.time() != datetime.time(0):
        fail("date_from_datetime_inexact", original)
    return moment.date()


def to_date(value) -> datetime.date:
    kind = type(value)
    if kind is datetime.date:
        return value
    if kind is str:
        return _date_from_text(value)
    if kind is datetime.datetime:
        return _date_from_exact_datetime(value, value)
    if kind is int or kind is float:
        moment = _datetime_from_timestamp(value, value, "date_from_datetime_parsing")
        return _date_from_exact_datetime(moment, value)
    fail("date_type", value)


def _date_from_text(text: str) -> datetime.date:
    timestamp = maybe_timestamp(text)
    if timestamp is not None:
        moment = _datetime_from_timestamp(timestamp, text, "date_from_datetime_parsing")
        return _date_from_exact_datetime(moment, text)
    try:
        return parse_date(text)
    except DateParseError:
        pass
    try:
        moment = parse_datetime(text)
    except DateParseError as problem:
        fail("date_from_datetime_parsing", text, {"error": str(problem)})
    return _date_from_exact_datetime(moment, text)


def to_time(value) -> datetime.time:
    kind = type(value)
    if kind is datetime.time:
        return value
    try:
        if kind is str:  # unlike a datetime, a time is never read from a digit string
            return parse_time(value)
        if kind is int or kind is float:
            return seconds_to_time(value)
    except DateParseError as problem:
        fail("time_parsing", value, {"error": str(problem)})
    fail("time_type", value)


def to_timedelta(value) -> datetime.timedelta:
    kind = type(value)
    if kind is datetime.timedelta:
        return value
    try:
        if kind is str:
            return parse_duration(value)
        if kind is int or kind is float or kind is bool:
            return seconds_to_duration(value)
    except DateParseError as problem:
        fail("time_delta_parsing", value, {"error": str(problem)})
    fail("time_delta_type", value)


# The converter for each plain type, and the Python types that match it exactly (used by
# unions to prefer the member a value already is, as pydantic's "smart" union mode does).
SCALAR_CONVERTERS = {
    int: (to_int, (int,)),
    float: (to_float, (float,)),
    bool: (to_bool, (bool,)),
    str: (to_str, (str,)),
    bytes: (to_bytes, (bytes,)),
    decimal.Decimal: (to_decimal, (decimal.Decimal,)),
    uuid.UUID: (to_uuid, (uuid.UUID,)),
    datetime.datetime: (to_datetime, (datetime.datetime,)),
    datetime.date: (to_date, (datetime.date,)),
    datetime.time: (to_time, (datetime.time,)),
    datetime.timedelta: (to_timedelta, (datetime.timedelta,)),
}
