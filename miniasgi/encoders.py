"""From Python values to JSON-ready data, and the response-model filter.

JSON (RFC 8259) knows objects, arrays, strings, numbers, true/false/null. An
endpoint returns richer things — models, dataclasses, datetimes, UUIDs — so
the framework lowers them before `json.dumps`:

| value                 | jsonable_encoder         | a Model field (pydantic's JSON mode)  |
|-----------------------|--------------------------|----------------------------------------|
| Model                 | its model_dump("json")   | the same                               |
| dataclass, object     | a dict of its fields     | —                                      |
| datetime, date, time  | isoformat()              | isoformat(), UTC written as "Z"        |
| UUID                  | str                      | str                                    |
| Decimal               | int if whole, else float | str (no precision lost)                |
| timedelta             | total seconds (a float)  | ISO 8601 duration: "P1DT3S"            |
| Enum                  | its value                | its value                              |
| set, tuple, generator | list                     | list                                   |
| bytes                 | UTF-8 text               | UTF-8 text                             |

The two columns differ exactly where FastAPI's `jsonable_encoder` and
pydantic's `model_dump(mode="json")` differ, so both kinds of answer match
FastAPI's bytes.

`compile_response_serializer(response_model)` is the security-relevant part:
the endpoint's return value is re-read THROUGH the response model (from a
dict, a model, a dataclass, or any object's attributes such as an ORM row),
so a field the response model does not declare — a password hash — never
leaves the server. A value that does not fit raises
miniasgi.exceptions.ResponseValidationError (read its `.errors()`, as in
FastAPI): a bug in the endpoint, answered 500, as FastAPI does.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import pathlib
import types
import uuid
from collections.abc import Callable
from typing import Any

from miniasgi.coercion import Invalid
from miniasgi.exceptions import ResponseValidationError
from miniasgi.models import Model
from miniasgi.validation import compile_check

__all__ = [
    "ResponseValidationError",
    "compile_response_serializer",
    "dump_model",
    "jsonable_encoder",
]


# ---- jsonable_encoder (FastAPI's rules) --------------------------------------------------


def _decimal_as_number(value: decimal.Decimal):
    return int(value) if value.as_tuple().exponent >= 0 else float(value)


def jsonable_encoder(value, *, include=None, exclude=None, by_alias: bool = True,
                     exclude_unset: bool = False, exclude_defaults: bool = False,
                     exclude_none: bool = False) -> Any:
    """Lower `value` to dicts, lists, str, int, float, bool and None (see the table above).

    The options work as FastAPI's: on a model they are model_dump's; on a dict,
    include/exclude pick its keys and exclude_none drops None values; a list hands
    them to each item. Models are written by alias unless by_alias=False.
    """
    options = {"by_alias": by_alias, "exclude_unset": exclude_unset,
               "exclude_defaults": exclude_defaults, "exclude_none": exclude_none}
    return _encode(value, include, exclude, options)


def _encode(value, include, exclude, options: dict) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value  # the common case first: no isinstance chain for plain JSON values
    if kind is dict and include is None and exclude is None and not options["exclude_none"]:
        return {(key if type(key) is str else _encode(key, None, None, options)):
                _encode(item, None, None, options) for key, item in value.items()}
    if kind is list and include is None and exclude is None:
        return [_encode(item, None, None, options) for item in value]
    if isinstance(value, str | int | float):
        if isinstance(value, enum.Enum):
            return _encode(value.value, None, None, options)
        return value
    if isinstance(value, Model):
        return dump_model(value, mode="json", include=include, exclude=exclude, **options)
    if isinstance(value, dict):
        return {_encode(key, None, None, options): _encode(item, None, None, options)
                for key, item in value.items()
                if (include is None or key in include) and (exclude is None or key not in exclude)
                and not (options["exclude_none"] and item is None)}
    if isinstance(value, list | tuple | set | frozenset | types.GeneratorType):
        return [_encode(item, include, exclude, options) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        return _encode(fields, include, exclude, options)
    leaf = _plain_leaf(value)
    if leaf is not NOT_A_LEAF:
        return leaf
    if hasattr(value, "__dict__"):
        public = {key: item for key, item in vars(value).items() if not key.startswith("_")}
        return _encode(public, include, exclude, options)
    raise TypeError(
        f"cannot turn {type(value).__name__} value {value!r} into JSON: return a dict, a list, "
        f"a Model or a dataclass, or convert it yourself before returning it"
    )


NOT_A_LEAF = object()


def _plain_leaf(value):
    """A non-container value as FastAPI's jsonable_encoder writes it, or NOT_A_LEAF."""
    if isinstance(value, enum.Enum):
        return jsonable_encoder(value.value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return _decimal_as_number(value)
    if isinstance(value, uuid.UUID | pathlib.PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8")
    return NOT_A_LEAF


# ---- model_dump (pydantic's rules) -------------------------------------------------------


def _json_leaf(value):
    """A non-container value as pydantic's JSON mode writes it."""
    if isinstance(value, enum.Enum):
        return _json_leaf(value.value)
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | pathlib.PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8")
    if isinstance(value, datetime.timedelta):
        return iso_duration(value)
    return value


def iso_duration(duration: datetime.timedelta) -> str:
    """ISO 8601 duration text as pydantic writes it: P1Y35DT5H3M0.000007S, -PT1S, PT0S."""
    sign = "-" if duration < datetime.timedelta(0) else ""
    duration = abs(duration)
    text = sign + "P"
    years, days = divmod(duration.days, 365)
    if years:
        text += f"{years}Y"
    if days:
        text += f"{days}D"
    seconds, microseconds = duration.seconds, duration.microseconds
    if seconds or microseconds or not duration.days:
        text += "T"
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            text += f"{hours}H"
        if minutes:
            text += f"{minutes}M"
        if microseconds:
            text += f"{seconds}.{microseconds:06d}".rstrip("0") + "S"
        elif seconds or not (hours or minutes):
            text += f"{seconds}S"
    return text


def _nested_rule(rule, key):
    """The part of an include/exclude rule ({"a": {"b"}} or {"a", "b"}) that applies below key."""
    if isinstance(rule, dict):
        below = rule.get(key, rule.get("__all__"))
        return None if below is True else below
    return None


def _selected(name: str, include, exclude) -> bool:
    if include is not None and name not in include and "__all__" not in include:
        return False
    if exclude is not None and name in exclude:
        below = exclude[name] if isinstance(exclude, dict) else True
        return below is not True
    return True


def _dump_value(value, mode: str, include, exclude, options: dict):
    if isinstance(value, Model):
        return dump_model(value, mode=mode, include=include, exclude=exclude, **options)
    if isinstance(value, dict):
        return {(_json_leaf(key) if mode == "json" else key):
                _dump_value(item, mode, _nested_rule(include, key), _nested_rule(exclude, key),
                            options)
                for key, item in value.items()
                if _selected(key, include, exclude)}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_dump_value(item, mode, _nested_rule(include, index),
                             _nested_rule(exclude, index), options)
                 for index, item in enumerate(value)]
        if mode == "json" or isinstance(value, list):
            return items
        return type(value)(items) if not isinstance(value, set | frozenset) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _dump_value(getattr(value, field.name), mode, None, None, options)
                for field in dataclasses.fields(value)}
    return _json_leaf(value) if mode == "json" else value


def dump_model(model, *, mode: str = "python", include=None, exclude=None,
               by_alias: bool = False, exclude_unset: bool = False,
               exclude_defaults: bool = False, exclude_none: bool = False) -> dict:
    """The Model.model_dump implementation (see Model.model_dump)."""
    if mode not in ("python", "json"):
        raise ValueError(f"mode must be 'python' or 'json', not {mode!r}")
    options = {"by_alias": by_alias, "exclude_unset": exclude_unset,
               "exclude_defaults": exclude_defaults, "exclude_none": exclude_none}
    fields = type(model).model_fields
    fields_set = model.model_fields_set
    result = {}
    names = [name for name in model.__dict__ if name != "__fields_set__"]
    for name in names:
        info = fields.get(name)
        if info is not None and info.exclude:
            continue
        if not _selected(name, include, exclude):
            continue
        value = model.__dict__[name]
        if exclude_unset and name not in fields_set:
            continue
        if exclude_none and value is None:
            continue
        if exclude_defaults and info is not None and not info.required:
            default = info.default_factory() if info.default_factory else info.default
            if value == default:
                continue
        key = info.alias if (by_alias and info is not None and info.alias) else name
        result[key] = _dump_value(value, mode, _nested_rule(include, name),
                                  _nested_rule(exclude, name), options)
    return result


# ---- the response-model filter -----------------------------------------------------------


def compile_response_serializer(response_model) -> Callable[[Any], Any]:
    """Compile once per route: return value -> JSON-ready data shaped by response_model.

    Raises ResponseValidationError (errors located under "response") when the value
    does not fit the model.
    """
    check = compile_check(response_model, from_attributes=True)

    def serialize(value):
        try:
            validated = check(value)
        except Invalid as invalid:
            errors = invalid.errors
            for error in errors:
                error["loc"] = ["response", *error["loc"]]
            raise ResponseValidationError(errors) from None
        return json_ready(validated)

    return serialize


# ---- the fast path: pydantic's JSON mode, by_alias, no include/exclude -------------------
#
# A response is serialized on every request, so this path dispatches on the exact type
# through a dict and keeps, per Model class, the list of (attribute, output key) pairs.


def _same(value):
    return value


def _utc_as_z(moment: datetime.datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


JSON_READY_BY_TYPE = {
    str: _same, int: _same, float: _same, bool: _same, type(None): _same,
    list: lambda value: [json_ready(item) for item in value],
    tuple: lambda value: [json_ready(item) for item in value],
    set: lambda value: [json_ready(item) for item in value],
    frozenset: lambda value: [json_ready(item) for item in value],
    dict: lambda value: {json_ready(key): json_ready(item) for key, item in value.items()},
    datetime.datetime: _utc_as_z,
    datetime.date: datetime.date.isoformat,
    datetime.time: datetime.time.isoformat,
    uuid.UUID: str,
    decimal.Decimal: str,
    datetime.timedelta: iso_duration,
}


def json_ready(value):
    """`value` as pydantic's JSON mode writes it, models by alias (the response path)."""
    handler = JSON_READY_BY_TYPE.get(type(value))
    if handler is not None:
        return handler(value)
    if isinstance(value, Model):
        return _model_json_ready(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(item) for item in value]
    if isinstance(value, dict):
        return {json_ready(key): json_ready(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: json_ready(getattr(value, field.name))
                for field in dataclasses.fields(value)}
    return _json_leaf(value)


def _output_keys(model_class) -> list[tuple[str, str]]:
    keys = model_class.__dict__.get("__output_keys__")
    if keys is None:
        keys = [(name, info.alias or name) for name, info in model_class.model_fields.items()
                if not info.exclude]
        model_class.__output_keys__ = keys
    return keys


def _model_json_ready(model) -> dict:
    values = model.__dict__
    keys = _output_keys(type(model))
    result = {key: json_ready(values[name]) for name, key in keys}
    if len(values) > len(keys) + 1:  # extra="allow" keys (or excluded fields) live here too
        fields = type(model).model_fields
        for name, item in values.items():
            if name not in fields and name != "__fields_set__":
                result[name] = json_ready(item)
    return result
