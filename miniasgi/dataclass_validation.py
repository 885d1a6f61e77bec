"""Validating standard-library dataclasses, the way pydantic does for FastAPI.

FastAPI accepts a `@dataclasses.dataclass` wherever a model goes: as a body, a
field, a response. The rules are a model's, smaller: the input is a dict (or
already an instance, which passes as is), each init field is checked by its
annotation, every bad field is reported (`missing`, or the field's own errors
under its name), and the instance is built by calling the class, so its
`__post_init__` runs. An input that is not a dict is a `dataclass_type` error.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from miniasgi.coercion import Invalid, fail, make_error
from miniasgi.validation import compile_check

__all__ = ["dataclass_check"]


def dataclass_check(cls, from_attributes: bool = False):
    """The check for a standard-library dataclass: a dict or an instance in, an instance out."""
    plan: list[tuple[str, Any, dataclasses.Field]] = []

    def compiled_plan():
        if not plan:
            hints = typing.get_type_hints(cls, include_extras=True)
            for field in dataclasses.fields(cls):
                if field.init:
                    field_check = compile_check(hints[field.name], from_attributes=from_attributes)
                    plan.append((field.name, field_check, field))
        return plan

    def check(value):
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            fail("dataclass_type", value, {"class_name": cls.__name__})
        arguments = {}
        errors = []
        for name, field_check, field in compiled_plan():
            if name not in value:
                if field.default is dataclasses.MISSING and (
                        field.default_factory is dataclasses.MISSING):
                    errors.append(make_error("missing", value, loc=(name,)))
                continue
            try:
                arguments[name] = field_check(value[name])
            except Invalid as invalid:
                for error in invalid.errors:
                    error["loc"] = (name, *error["loc"])
                errors.extend(invalid.errors)
        if errors:
            raise Invalid(errors)
        return cls(**arguments)

    return check
