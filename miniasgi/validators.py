"""Your own checks on a model: @field_validator and @model_validator (pydantic's API).

Types and constraints say much, but not "the end date is after the start date"
or "usernames are stored lowercase". For those a model carries its own code:

    class Signup(Model):
        username: str
        password: str
        repeat: str

        @field_validator("username")
        @classmethod
        def lowercase(cls, value: str) -> str:
            return value.lower()

        @model_validator(mode="after")
        def passwords_match(self):
            if self.password != self.repeat:
                raise ValueError("passwords do not match")
            return self

When they run, for each field: the "before" validators get the raw input, then
the type check and constraints convert it, then the "after" validators get the
converted value; what a validator returns is the field's new value. Once every
field is valid, the "after" model validators get the instance. A validator
says no by raising ValueError (error type `value_error`, "Value error, ...") or
by a failing assert (`assertion_error`, "Assertion failed, ..."); the error is
reported at the field's location (or the model's, for a model validator) with
the other errors, as pydantic does. Any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from miniasgi.coercion import Invalid, make_error

__all__ = ["field_validator", "model_validator"]

FIELD_MODES = ("before", "after")


@dataclass
class FieldValidatorMarker:
    """What @field_validator leaves in the class body until the Model collects it."""

    field_names: tuple[str, ...]
    mode: str
    function: Any  # a classmethod or a plain function taking (cls, value)


@dataclass
class ModelValidatorMarker:
    """What @model_validator(mode="after") leaves in the class body."""

    function: Callable


def field_validator(*field_names: str, mode: str = "after"):
    """Run the decorated (class)method on the named fields' values (see the module docstring)."""
    if not field_names or not all(isinstance(name, str) for name in field_names):
        raise TypeError("field_validator takes the field names: @field_validator(\"name\")")
    if mode not in FIELD_MODES:
        raise ValueError(f"field_validator mode must be 'before' or 'after', not {mode!r}")

    def decorate(function):
        return FieldValidatorMarker(field_names, mode, function)

    return decorate


def model_validator(*, mode: str = "after"):
    """Run the decorated method on the validated instance; it returns the instance."""
    if mode != "after":
        raise ValueError(f"only model_validator(mode='after') is supported, not {mode!r}")

    def decorate(function):
        return ModelValidatorMarker(function)

    return decorate


def as_callable(function, owner: type) -> Callable:
    """The validator as a plain callable of the value (a classmethod bound to the model)."""
    if isinstance(function, classmethod | staticmethod):
        return function.__get__(None, owner)
    return lambda value: function(owner, value)


def validator_error(problem: Exception, value) -> dict:
    """The error a refusing validator produces (pydantic's value_error / assertion_error)."""
    if isinstance(problem, AssertionError):
        return make_error("assertion_error", value, {"error": problem})
    return make_error("value_error", value, {"error": problem})


def with_field_validators(check: Callable, befores: list, afters: list) -> Callable:
    """Wrap a field's compiled check with its before and after validators."""
    if not befores and not afters:
        return check

    def validated_check(value):
        original = value
        try:
            for validator in befores:
                value = validator(value)
        except (ValueError, AssertionError) as problem:
            raise Invalid([validator_error(problem, original)]) from None
        value = check(value)
        try:
            for validator in afters:
                value = validator(value)
        except (ValueError, AssertionError) as problem:
            raise Invalid([validator_error(problem, original)]) from None
        return value

    return validated_check


def run_model_validators(instance, validators: list, original):
    """Run the after-model validators; a refusal becomes an error at the model's location."""
    for validator in validators:
        try:
            instance = validator(instance)
        except (ValueError, AssertionError) as problem:
            raise Invalid([validator_error(problem, original)]) from None
    return instance
