"""Model: a small BaseModel, declared with class annotations, validated from dicts.

    class Item(Model):
        name: str = Field(min_length=1)
        price: float = Field(gt=0)
        tags: list[str] = []

    Item.model_validate({"name": "pen", "price": "1.5"})  # -> Item(name='pen', price=1.5, tags=[])

How it works, in the order a student meets it:

1. `__init_subclass__` runs when the class statement ends. It collects the
   annotated names (walking the bases, so fields inherit) into `model_fields`,
   a dict of `FieldInfo`: default or `default_factory`, alias, constraints,
   title/description for the JSON Schema; and the class's @field_validator and
   @model_validator methods (miniasgi.validators).
2. When a route using the model is added (or the model is first validated),
   `_plan(cls)` resolves the annotations with `typing.get_type_hints` (so
   `from __future__ import annotations` and forward references work) and
   compiles one check per field with miniasgi.validation; then
   `_compile_validate_into` turns the plan into one function. Both are kept on
   the class: later validations run only compiled code.
3. That function reads each field from a dict (or, with
   `model_config = {"from_attributes": True}`, from any object's attributes:
   an ORM row), collecting every field's errors before giving up.

Semantics follow pydantic v2: a missing required field is reported at its
alias with the whole input as `input`; `populate_by_name` also accepts the
Python name of an aliased field; `extra` is "ignore" (default),
"forbid" (error `extra_forbidden`) or "allow" (kept, and dumped); mutable
defaults are copied per instance; defaults are not validated; assignment after
construction is not validated; an instance of the model passes as is.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import typing
from typing import Any, ClassVar

from miniasgi.coercion import Invalid, fail, make_error
from miniasgi.validation import Constraints, ValidationError, compile_check
from miniasgi.validators import (
    FieldValidatorMarker,
    ModelValidatorMarker,
    as_callable,
    field_validator,
    model_validator,
    run_model_validators,
    with_field_validators,
)

__all__ = ["Field", "FieldInfo", "Model", "field_validator", "model_check", "model_validator"]

REQUIRED = ...  # the marker for "no default": Field(...) or a bare annotation


class FieldInfo:
    """What a model knows about one field; `Field(...)` builds it."""

    def __init__(self, default=REQUIRED, *, default_factory=None, alias=None, title=None,
                 description=None, examples=None, constraints: Constraints | None = None,
                 exclude: bool = False, annotation=None):
        if default is not REQUIRED and default_factory is not None:
            raise TypeError("a field takes either default= or default_factory=, not both")
        self.default = default
        self.default_factory = default_factory
        self.alias = alias
        self.title = title
        self.description = description
        self.examples = examples
        self.constraints = constraints
        self.exclude = exclude
        self.annotation = annotation  # filled (resolved) when the model is compiled
        self.name: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED and self.default_factory is None

    def get_default(self):
        """A fresh default value (the factory's result, or a copy of a mutable default)."""
        if self.default_factory is not None:
            return self.default_factory()
        if isinstance(self.default, list | dict | set):
            return copy.deepcopy(self.default)
        return self.default

    def __repr__(self) -> str:
        shown = {"annotation": self.annotation, "required": self.required}
        if not self.required:
            shown["default"] = self.default_factory or self.default
        if self.alias:
            shown["alias"] = self.alias
        return "FieldInfo(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def Field(default=REQUIRED, *, default_factory=None, alias=None, title=None, description=None,  # noqa: N802
          examples=None, gt=None, ge=None, lt=None, le=None, multiple_of=None,
          min_length=None, max_length=None, pattern=None, max_digits=None, decimal_places=None,
          exclude=False) -> Any:
    """Declare a model field's default, alias, docs and constraints (pydantic's Field)."""
    constraints = Constraints(gt=gt, ge=ge, lt=lt, le=le, multiple_of=multiple_of,
                              min_length=min_length, max_length=max_length, pattern=pattern,
                              max_digits=max_digits, decimal_places=decimal_places)
    return FieldInfo(default, default_factory=default_factory, alias=alias, title=title,
                     description=description, examples=examples,
                     constraints=None if constraints.is_empty() else constraints,
                     exclude=exclude)


@dataclasses.dataclass
class _FieldStep:
    """One field in a compiled plan."""

    name: str
    key: str
    check: Any
    info: FieldInfo


class Model:
    """Base class for request and response bodies (see the module docstring)."""

    model_config: ClassVar[dict] = {}
    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    __model_fields__: ClassVar[dict[str, FieldInfo]] = {}

    def __init_subclass__(cls, **keywords):
        super().__init_subclass__(**keywords)
        fields: dict[str, FieldInfo] = {}
        for base in reversed(cls.__mro__[1:]):
            for name, info in getattr(base, "__model_fields__", {}).items():
                fields[name] = copy.copy(info)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if name.startswith("_") or _is_class_var(annotation):
                continue
            value = cls.__dict__.get(name, REQUIRED)
            info = value if isinstance(value, FieldInfo) else FieldInfo(value)
            info.name = name
            fields[name] = info
            if name in cls.__dict__:
                delattr(cls, name)
        cls.__validator_markers__ = _collect_validators(cls, fields)
        config = {}
        for base in reversed(cls.__mro__):
            config.update(base.__dict__.get("model_config", {}))
        cls.model_config = config
        cls.model_fields = fields
        cls.__model_fields__ = fields
        cls.__compiled_plans__ = None
        cls.__compiled_validators__ = None
        # A model declared inside a function may name its neighbours ("list[Point]" under
        # `from __future__ import annotations`): keep that function's names for resolving.
        caller = sys._getframe(1)
        cls.__defining_namespace__ = (
            None if caller.f_locals is caller.f_globals else dict(caller.f_locals))

    def __init__(self, **data):
        try:
            validated = _validate_into(type(self), data)
        except Invalid as invalid:
            raise ValidationError(_as_lists(invalid.errors)) from None
        self.__dict__.update(validated.__dict__)

    # ---- validation -------------------------------------------------------------------

    @classmethod
    def model_validate(cls, obj):
        """Validate a dict (or, with from_attributes, an object) into an instance."""
        if isinstance(obj, cls):
            return obj
        try:
            return _validator_for(cls, False)(obj)
        except Invalid as invalid:
            raise ValidationError(_as_lists(invalid.errors)) from None

    @classmethod
    def model_validate_json(cls, text: str | bytes):
        """Parse JSON text and validate it; bad JSON raises ValidationError(json_invalid)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as problem:  # FastAPI's shape for a bad JSON body
            raise ValidationError([make_error("json_invalid", text, {"error": problem.msg},
                                              loc=[problem.pos])]) from None
        except UnicodeDecodeError as problem:
            raise ValidationError([make_error("json_invalid", text, {"error": str(problem)},
                                              loc=[])]) from None
        return cls.model_validate(data)

    @classmethod
    def model_json_schema(cls, mode: str = "validation") -> dict:
        """This model's JSON Schema (2020-12), nested models under "$defs"."""
        from miniasgi.jsonschema import model_json_schema

        return model_json_schema(cls, mode)

    # ---- output -------------------------------------------------------------------------

    @property
    def model_fields_set(self) -> set[str]:
        """The names of the fields the input gave (not filled from defaults)."""
        return set(self.__dict__.get("__fields_set__", ()))

    def model_dump(self, *, mode: str = "python", include=None, exclude=None,
                   by_alias: bool = False, exclude_unset: bool = False,
                   exclude_defaults: bool = False, exclude_none: bool = False) -> dict:
        """The fields as a dict; mode="json" makes every value JSON-ready."""
        from miniasgi.encoders import dump_model

        return dump_model(self, mode=mode, include=include, exclude=exclude, by_alias=by_alias,
                          exclude_unset=exclude_unset, exclude_defaults=exclude_defaults,
                          exclude_none=exclude_none)

    def model_dump_json(self, **options) -> str:
        """model_dump(mode="json") as compact JSON text."""
        return json.dumps(self.model_dump(mode="json", **options), separators=(",", ":"),
                          ensure_ascii=False)

    def model_copy(self, *, update: dict | None = None, deep: bool = False):
        """A copy, with `update`'s values set as they are (not validated, as in pydantic)."""
        duplicate = type(self).__new__(type(self))
        values = copy.deepcopy(self.__dict__) if deep else dict(self.__dict__)
        values["__fields_set__"] = set(self.model_fields_set) | set(update or {})
        values.update(update or {})
        duplicate.__dict__.update(values)
        return duplicate

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # mutable, like pydantic's models

    def __iter__(self):
        for name in type(self).model_fields:
            yield name, self.__dict__.get(name)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self)
        return f"{type(self).__name__}({shown})"


def _collect_validators(cls, fields: dict) -> list:
    """The @field_validator/@model_validator markers of the class and its bases."""
    markers = []
    for base in reversed(cls.__mro__[1:]):
        markers.extend(base.__dict__.get("__validator_markers__", ()))
    for attribute, item in list(cls.__dict__.items()):
        if isinstance(item, FieldValidatorMarker | ModelValidatorMarker):
            markers.append(item)
            setattr(cls, attribute, item.function)  # still callable as an ordinary method
        if isinstance(item, FieldValidatorMarker):
            unknown = [name for name in item.field_names if name not in fields]
            if unknown:
                raise TypeError(
                    f"@field_validator{tuple(item.field_names)!r} on {cls.__name__}.{attribute} "
                    f"names no field {unknown}: the fields are {', '.join(fields) or 'none'}")
    return markers


def _field_validators(cls, name: str, mode: str) -> list:
    return [as_callable(marker.function, cls) for marker in cls.__validator_markers__
            if isinstance(marker, FieldValidatorMarker) and marker.mode == mode
            and name in marker.field_names]


def _is_class_var(annotation) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return typing.get_origin(annotation) is ClassVar or annotation is ClassVar


def _as_lists(errors: list[dict]) -> list[dict]:
    for error in errors:
        error["loc"] = list(error["loc"])
    return errors


# ---- compiling and running the field plan ------------------------------------------------


def resolve_fields(cls) -> dict[str, FieldInfo]:
    """Fill each FieldInfo's annotation from the class's (possibly string) annotations."""
    local_names = {}
    for klass in reversed(cls.__mro__):
        local_names.update(klass.__dict__.get("__defining_namespace__") or {})
    local_names.setdefault(cls.__name__, cls)
    try:
        hints = typing.get_type_hints(cls, localns=local_names, include_extras=True)
    except NameError as problem:
        raise TypeError(
            f"model {cls.__name__} names a type that is not defined ({problem}): define or "
            f"import it before {cls.__name__} is first used") from None
    for name, info in cls.model_fields.items():
        info.annotation = hints[name]
        _merge_annotated_field(info)
    return cls.model_fields


FIELD_DOCUMENTATION = ("alias", "title", "description", "examples")


def _merge_annotated_field(info: FieldInfo) -> None:
    """Take what `x: Annotated[int, Field(alias="X")] = 5` says in its metadata."""
    if typing.get_origin(info.annotation) is not typing.Annotated:
        return
    for item in typing.get_args(info.annotation)[1:]:
        if not isinstance(item, FieldInfo):
            continue
        for attribute in FIELD_DOCUMENTATION:
            if getattr(info, attribute) is None:
                setattr(info, attribute, getattr(item, attribute))
        info.exclude = info.exclude or item.exclude
        if info.required and not item.required:
            info.default, info.default_factory = item.default, item.default_factory


def _plan(cls, from_attributes: bool = False) -> list[_FieldStep]:
    """The compiled field plan (one per reading mode), built on first use and kept."""
    plans = cls.__dict__.get("__compiled_plans__")
    if plans is None:
        cls.__compiled_plans__ = plans = {}
    plan = plans.get(from_attributes)
    if plan is None:
        # A model that contains itself does not recurse here: model_check() is lazy.
        plan = [
            _FieldStep(name, info.alias or name, with_field_validators(
                _compile_field(cls, name, info, from_attributes),
                _field_validators(cls, name, "before"), _field_validators(cls, name, "after")),
                info)
            for name, info in resolve_fields(cls).items()
        ]
        plans[from_attributes] = plan
    return plan


def _compile_field(cls, name: str, info: FieldInfo, from_attributes: bool):
    try:
        return compile_check(info.annotation, info.constraints, from_attributes=from_attributes)
    except (TypeError, ValueError) as problem:  # name the field: the message alone may not
        raise type(problem)(f"field {cls.__name__}.{name}: {problem}") from None


NOT_SENT = object()
# Inputs that are never read by attribute, even with from_attributes (pydantic refuses them).
PRIMITIVE_INPUTS = (str, bytes, bytearray, int, float, bool, list, tuple, set, frozenset,
                    type(None))
IMMUTABLE_DEFAULTS = (type(None), bool, int, float, str, bytes, tuple, frozenset)


def _default_maker(info: FieldInfo):
    """A zero-argument function giving the field's default (copied when mutable)."""
    if info.default_factory is not None:
        return info.default_factory
    default = info.default
    if isinstance(default, IMMUTABLE_DEFAULTS):
        return lambda: default
    return info.get_default


def _compile_validate_into(cls, from_attributes: bool):
    """Build the function that turns a dict (or object) into an instance of `cls`.

    Everything that can be decided before the first request is decided here: the
    field order, the keys, the checks, how defaults are made, the extra-key policy.
    The function returned only reads, converts and stores.
    """
    config = cls.model_config
    by_attributes = from_attributes or config.get("from_attributes", False)
    extra = config.get("extra", "ignore")
    # populate_by_name: a field with an alias may also be sent under its Python name.
    by_name = config.get("populate_by_name") or config.get("validate_by_name")
    steps = [(step.name, step.key, step.name if by_name and step.key != step.name else None,
              step.check, step.info.required,
              None if step.info.required else _default_maker(step.info))
             for step in _plan(cls, from_attributes)]
    known_keys = frozenset(step[1] for step in steps)
    all_names = frozenset(step[0] for step in steps)  # shared by instances: never mutated
    class_name = cls.__name__
    model_validators = [marker.function for marker in cls.__validator_markers__
                        if isinstance(marker, ModelValidatorMarker)]

    def validate_into(value):
        read = value.get if type(value) is dict else _reader(value, by_attributes, class_name)
        values: dict[str, Any] = {}
        defaulted = errors = names_read = None
        for name, key, second_key, check, required, make_default in steps:
            raw = read(key, NOT_SENT)
            if raw is NOT_SENT and second_key is not None:
                raw = read(second_key, NOT_SENT)
                if raw is not NOT_SENT:
                    key, names_read = second_key, (names_read or set()) | {second_key}
            if raw is NOT_SENT:
                if required:
                    errors = (errors or []) + [make_error("missing", value, loc=(key,))]
                else:
                    values[name] = make_default()
                    defaulted = (defaulted or []) + [name]
                continue
            try:
                values[name] = check(raw)
            except Invalid as invalid:
                errors = (errors or []) + _prefixed(invalid.errors, key)
        if extra != "ignore" and isinstance(value, dict):
            errors = _handle_extra_keys(value, known_keys | (names_read or set()), extra,
                                        values, errors)
        if errors:
            raise Invalid(errors)
        instance = object.__new__(cls)
        values["__fields_set__"] = all_names if defaulted is None else all_names.difference(
            defaulted)
        instance.__dict__ = values
        if model_validators:
            return run_model_validators(instance, model_validators, value)
        return instance

    return validate_into


def _prefixed(errors: list[dict], key) -> list[dict]:
    for error in errors:
        error["loc"] = (key, *error["loc"])
    return errors


def _reader(value, by_attributes: bool, class_name: str):
    """How to read fields from `value`: by key (a mapping) or by attribute (an ORM row)."""
    if isinstance(value, dict):
        return value.get
    if by_attributes and not isinstance(value, PRIMITIVE_INPUTS):
        return lambda key, default: getattr(value, key, default)
    if by_attributes:
        fail("model_attributes_type", value)
    fail("model_type", value, {"class_name": class_name})


def _validate_into(cls, value, from_attributes: bool = False):
    """Validate `value` into an instance of `cls` (compiling the class's plan on first use)."""
    return _validator_for(cls, from_attributes)(value)


# (model class, from_attributes) pairs being compiled right now: a model met again while
# compiling itself (a tree of itself, or A -> B -> A) is compiled lazily instead.
_COMPILING: set = set()


def _validator_for(cls, from_attributes: bool):
    cache = cls.__dict__.get("__compiled_validators__")
    if cache is None:
        cls.__compiled_validators__ = cache = {}
    validate_into = cache.get(from_attributes)
    if validate_into is None:
        _COMPILING.add((cls, from_attributes))
        try:
            validate_into = _compile_validate_into(cls, from_attributes)
        finally:
            _COMPILING.discard((cls, from_attributes))
        cache[from_attributes] = validate_into
    return validate_into


def _handle_extra_keys(data: dict, known_keys: frozenset, extra: str, values: dict,
                       errors: list | None) -> list | None:
    for key, item in data.items():
        if key in known_keys:
            continue
        if extra == "forbid":
            errors = errors or []
            errors.append(make_error("extra_forbidden", item, loc=(key,)))
        else:
            values[key] = item
    return errors


def model_check(cls, from_attributes: bool = False):
    """The compiled check for a Model class: dict/instance in, instance out.

    With from_attributes (how response models read an endpoint's return value), any
    object is read by its attributes, and only an instance of exactly `cls` passes as
    is: a subclass instance is re-read, so its extra fields (a password hash) drop out.

    The class's plan is compiled here, when the route is added, so a mistake in a field
    shows at startup; only a model met again while compiling itself (a tree) is compiled
    on its first call instead.
    """
    compiled = []
    if (cls, from_attributes) not in _COMPILING:
        compiled.append(_validator_for(cls, from_attributes))

    if from_attributes:
        def response_check(value):
            if type(value) is cls:
                return value
            if not compiled:
                compiled.append(_validator_for(cls, True))
            return compiled[0](value)

        return response_check

    def check(value):
        if isinstance(value, cls):
            return value
        if not compiled:
            compiled.append(_validator_for(cls, False))
        return compiled[0](value)

    return check
