"""Model and Field: declaring bodies with class annotations (the pydantic BaseModel subset).

Grouped as a FastAPI user meets them: declaring fields, validating input (compared
against pydantic through equivalent BaseModels), the model_config switches, dumping
output, copying, and the errors a model author gets for a mistake.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Annotated, Optional

import pydantic
import pytest

from miniasgi.models import Field, FieldInfo, Model
from miniasgi.validation import Constraints, ValidationError, compile_validator
from tests.miniasgi.test_validation_differential import our_outcome, pydantic_outcome


class Image(Model):
    url: str
    name: str | None = None


class Item(Model):
    name: str = Field(min_length=1, max_length=20)
    price: float = Field(gt=0)
    tax: Optional[float] = None
    tags: list[str] = []
    images: list[Image] | None = None


class Offer(Model):
    name: str
    items: list[Item]
    created: datetime.datetime = Field(default_factory=lambda: datetime.datetime(2020, 1, 1))


class Strict(Model):
    model_config = {"extra": "forbid"}
    id: int
    label: str = "x"


class Aliased(Model):
    item_id: int = Field(alias="itemId")
    display_name: str = Field("anon", alias="displayName")


class Tree(Model):
    value: int
    children: list[Tree] = []


# ---- validation, compared with pydantic ---------------------------------------------------

MODEL_CASES = [
    (Item, {"name": "pen", "price": "1.5"}),
    (Item, {"name": "", "price": -1, "tags": [1, "x", None]}),
    (Item, {"price": "x"}),
    (Item, {}),
    (Item, "not a dict"),
    (Item, [1, 2]),
    (Item, {"name": "pen", "price": 1, "images": [{"url": "a"}, {"name": 5}, "x"]}),
    (Item, {"name": "pen", "price": 1, "unknown": "ignored"}),
    (Offer, {"name": "o", "items": [{"name": "a", "price": 1}, {"name": "b", "price": 0}]}),
    (Offer, {"name": "o", "items": "x"}),
    (Offer, {"name": "o", "items": [], "created": "2021-05-05T10:00:00Z"}),
    (Strict, {"id": 1, "other": 2, "more": [3]}),
    (Strict, {"other": 2}),
    (Aliased, {"itemId": "5"}),
    (Aliased, {"item_id": 5}),
    (Aliased, {"itemId": "x", "displayName": 3}),
    (Tree, {"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}),
    (list[Item], [{"name": "a", "price": 1}, {"name": "b"}]),
    (dict[str, Image], {"a": {"url": "u"}, "b": {}}),
    (Optional[Image], None),
    (Annotated[list[Image], Constraints(min_length=1)], []),
]


@pytest.mark.parametrize(("annotation", "value"), MODEL_CASES,
                         ids=[repr(value)[:50] for _, value in MODEL_CASES])
def test_model_validation_matches_pydantic_base_model(annotation, value):
    ours = our_outcome(annotation, value, ("body",))
    theirs = pydantic_outcome(annotation, value, ("body",))
    assert ours == theirs


def test_every_bad_field_is_reported_not_only_the_first():
    with pytest.raises(ValidationError) as caught:
        Item.model_validate({"name": "", "price": 0, "tags": "x"})
    assert [error["loc"] for error in caught.value.errors] == [["name"], ["price"], ["tags"]]


def test_a_missing_field_reports_the_whole_input_as_pydantic_does():
    data = {"price": 1}
    with pytest.raises(ValidationError) as caught:
        Item.model_validate(data)
    assert caught.value.errors == [
        {"type": "missing", "loc": ["name"], "msg": "Field required", "input": data}]


def test_nested_errors_are_located_from_the_given_prefix():
    validator = compile_validator(Offer)
    with pytest.raises(ValidationError) as caught:
        validator({"name": "o", "items": [{"name": "a", "price": 1},
                                          {"name": "b", "price": "free"}]}, ("body",))
    assert [error["loc"] for error in caught.value.errors] == [["body", "items", 1, "price"]]


def test_constructor_validates_keyword_arguments():
    item = Item(name="pen", price="2")
    assert item.price == 2.0 and isinstance(item.price, float)
    with pytest.raises(ValidationError):
        Item(name="pen")


def test_an_instance_passes_through_validation_unchanged():
    item = Item(name="pen", price=1)
    assert compile_validator(Item)(item) is item


# ---- defaults ----------------------------------------------------------------------------


def test_mutable_defaults_are_copied_per_instance():
    first = Item(name="a", price=1)
    second = Item(name="b", price=1)
    first.tags.append("changed")
    assert second.tags == []


def test_default_factory_runs_for_each_instance():
    calls = []

    class Stamped(Model):
        stamp: int = Field(default_factory=lambda: calls.append(1) or len(calls))

    assert [Stamped().stamp, Stamped().stamp] == [1, 2]
    assert Stamped(stamp=9).stamp == 9 and len(calls) == 2


def test_defaults_are_not_validated_as_in_pydantic():
    class Loose(Model):
        count: int = "not a number"

    assert Loose().count == "not a number"


def test_a_field_with_both_default_and_factory_is_refused_at_declaration():
    with pytest.raises(TypeError, match="either default= or default_factory="):
        Field(1, default_factory=list)


# ---- declaration -------------------------------------------------------------------------


def test_model_fields_describe_each_field():
    fields = Item.model_fields
    assert list(fields) == ["name", "price", "tax", "tags", "images"]
    assert isinstance(fields["name"], FieldInfo)
    assert fields["name"].required and not fields["tax"].required
    assert fields["price"].constraints == Constraints(gt=0)


def test_fields_are_inherited_and_can_be_overridden():
    class Base(Model):
        id: int
        note: str = "base"

    class Child(Base):
        note: str = "child"
        extra: bool = False

    assert list(Child.model_fields) == ["id", "note", "extra"]
    assert Child(id=1).note == "child"
    assert Base(id=1).note == "base"


def test_forward_references_and_self_reference_resolve_at_first_use():
    tree = Tree.model_validate({"value": 1, "children": [{"value": 2}]})
    assert tree.children[0] == Tree(value=2)


def test_class_variables_and_private_names_are_not_fields():
    from typing import ClassVar

    class WithClassVar(Model):
        registry: ClassVar[dict] = {}
        _cache: int = 0
        name: str

    assert list(WithClassVar.model_fields) == ["name"]


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


def test_dataclass_fields_validate_like_models():
    class Shape(Model):
        points: list[Point]

    shape = Shape.model_validate({"points": [{"x": "1"}, {"x": 2, "y": "3"}]})
    assert shape.points == [Point(1, 0), Point(2, 3)]
    with pytest.raises(ValidationError) as caught:
        Shape.model_validate({"points": [{"y": 1}, "x"]})
    assert [(error["type"], error["loc"]) for error in caught.value.errors] == [
        ("missing", ["points", 0, "x"]), ("dataclass_type", ["points", 1])]


# ---- model_config ------------------------------------------------------------------------


def test_extra_allow_keeps_unknown_keys_and_dumps_them():
    class Open(Model):
        model_config = {"extra": "allow"}
        id: int

    opened = Open.model_validate({"id": 1, "colour": "red"})
    assert opened.colour == "red"
    assert opened.model_dump() == {"id": 1, "colour": "red"}


def test_from_attributes_reads_any_object():
    class Row:
        def __init__(self):
            self.id = 3
            self.label = "row"

    class FromRow(Model):
        model_config = {"from_attributes": True}
        id: int
        label: str

    assert FromRow.model_validate(Row()) == FromRow(id=3, label="row")
    with pytest.raises(ValidationError) as caught:
        FromRow.model_validate("text")
    assert caught.value.errors[0]["type"] == "model_attributes_type"


def test_without_from_attributes_an_object_is_refused():
    class Row:
        id = 3

    with pytest.raises(ValidationError) as caught:
        Strict.model_validate(Row())
    assert caught.value.errors[0]["type"] == "model_type"


# ---- output ------------------------------------------------------------------------------


def test_model_dump_python_mode_keeps_python_types():
    moment = datetime.datetime(2021, 5, 5, 10, tzinfo=datetime.UTC)
    offer = Offer(name="o", items=[{"name": "a", "price": 1, "images": [{"url": "u"}]}],
                  created=moment)
    assert offer.model_dump() == {
        "name": "o",
        "items": [{"name": "a", "price": 1.0, "tax": None, "tags": [],
                   "images": [{"url": "u", "name": None}]}],
        "created": moment,
    }


def test_model_dump_json_mode_matches_pydantic():
    import pydantic

    class Event(Model):
        id: uuid.UUID
        when: datetime.datetime
        day: datetime.date
        tags: set[str] = set()

    class PydanticEvent(pydantic.BaseModel):
        id: uuid.UUID
        when: datetime.datetime
        day: datetime.date
        tags: set[str] = set()

    data = {"id": "12345678123456781234567812345678", "when": "2021-05-05T10:00:00Z",
            "day": "2021-05-05", "tags": ["a"]}
    assert Event.model_validate(data).model_dump(mode="json") == \
        PydanticEvent.model_validate(data).model_dump(mode="json")
    assert Event.model_validate(data).model_dump_json() == \
        PydanticEvent.model_validate(data).model_dump_json()


@pytest.mark.parametrize("options", [
    {"include": {"name", "price"}},
    {"exclude": {"tags"}},
    {"exclude_unset": True},
    {"exclude_defaults": True},
    {"exclude_none": True},
    {"exclude": {"images": {0: {"name"}}}},
    {"include": {"name": True, "images": {0: {"url"}}}},
], ids=repr)
def test_model_dump_options_match_pydantic(options):
    data = {"name": "pen", "price": 1, "tags": [], "images": [{"url": "u"}]}
    ours = Item.model_validate(data).model_dump(**options)
    from tests.miniasgi.test_validation_differential import to_pydantic

    theirs = to_pydantic(Item).model_validate(data).model_dump(**options)
    assert ours == theirs


def test_by_alias_dumps_the_wire_names():
    aliased = Aliased.model_validate({"itemId": 1})
    assert aliased.model_dump() == {"item_id": 1, "display_name": "anon"}
    assert aliased.model_dump(by_alias=True) == {"itemId": 1, "displayName": "anon"}


def test_field_exclude_never_dumps_the_field():
    class Account(Model):
        name: str
        password_hash: str = Field(exclude=True)

    account = Account(name="a", password_hash="secret")
    assert account.model_dump() == {"name": "a"}
    assert "secret" not in account.model_dump_json()


def test_model_dump_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be 'python' or 'json'"):
        Image(url="u").model_dump(mode="yaml")


# ---- JSON input, copies, equality --------------------------------------------------------


def test_model_validate_json_parses_then_validates():
    assert Image.model_validate_json('{"url": "u"}') == Image(url="u")
    with pytest.raises(ValidationError) as caught:
        Image.model_validate_json("{not json")
    assert caught.value.errors == [{
        "type": "json_invalid", "loc": [1], "msg": "JSON decode error", "input": "{not json",
        "ctx": {"error": "Expecting property name enclosed in double quotes"}}]


def test_model_copy_applies_updates_without_touching_the_original():
    item = Item(name="pen", price=1)
    changed = item.model_copy(update={"price": 2.0})
    assert (item.price, changed.price) == (1.0, 2.0)
    assert "price" in changed.model_fields_set


def test_deep_copy_does_not_share_lists():
    item = Item(name="pen", price=1, tags=["a"])
    copied = item.model_copy(deep=True)
    copied.tags.append("b")
    assert item.tags == ["a"]


def test_models_compare_by_type_and_values_and_print_their_fields():
    assert Image(url="u") == Image(url="u")
    assert Image(url="u") != Image(url="v")
    assert repr(Image(url="u")) == "Image(url='u', name=None)"


def test_model_fields_set_lists_only_what_was_sent():
    assert Item(name="pen", price=1).model_fields_set == {"name", "price"}


# ---- property: any JSON object gets pydantic's answer ------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.miniasgi.test_validation_differential import json_values  # noqa: E402

ITEM_KEYS = ["name", "price", "tax", "tags", "images", "url", "other"]
item_like = st.dictionaries(st.sampled_from(ITEM_KEYS), json_values | st.just({"url": "u"}),
                            max_size=6)


@pytest.mark.parametrize("model", [Item, Strict, Aliased, Tree], ids=lambda m: m.__name__)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=item_like | json_values)
def test_any_json_object_gets_the_answer_pydantic_gives(model, data):
    assert our_outcome(model, data, ("body",)) == pydantic_outcome(model, data, ("body",))


@dataclasses.dataclass
class Pair:
    left: int
    right: list[str] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize("value", [
    {"left": "1"}, {"left": "x", "right": [1]}, {}, "x", [1], {"left": 1, "right": "y"},
], ids=repr)
def test_dataclass_validation_matches_pydantic(value):
    assert our_outcome(Pair, value, ("body",)) == pydantic_outcome(Pair, value, ("body",))


class Cat(Model):
    name: str
    meows: bool = True


class Dog(Model):
    name: str
    barks: int


class Empty(Model):
    pass


@pytest.mark.parametrize("annotation", [Cat | Dog, Dog | Cat, Empty | Cat, Cat | int],
                         ids=repr)
@pytest.mark.parametrize("value", [
    {"name": "x"}, {"name": "x", "barks": 1}, {"barks": "x"}, "s", 5, {},
    {"name": "x", "meows": False}, {"name": "x", "meows": "no", "barks": "2", "other": 1},
], ids=repr)
def test_a_union_of_models_picks_the_member_pydantic_picks(annotation, value):
    assert our_outcome(annotation, value, ("body",)) == pydantic_outcome(annotation, value,
                                                                         ("body",))


def test_annotated_field_metadata_gives_alias_docs_and_constraints():
    class Annotated_(Model):
        count: Annotated[int, Field(gt=0, description="how many", alias="Count")] = 5

    assert Annotated_.model_validate({"Count": "3"}).count == 3
    assert Annotated_.model_validate({}).count == 5
    assert our_outcome(Annotated_, {"Count": 0}) == pydantic_outcome(Annotated_, {"Count": 0})
    from tests.miniasgi.test_validation_differential import to_pydantic

    assert Annotated_.model_json_schema()["properties"]["Count"]["description"] == "how many"
    assert to_pydantic(Annotated_).model_json_schema()["properties"]["Count"][
        "description"] == "how many"


def test_an_undefined_type_name_is_reported_with_the_model_and_the_fix():
    class Orphan(Model):
        parent: Missing  # noqa: F821

    with pytest.raises(TypeError, match="model Orphan names a type that is not defined"):
        Orphan.model_validate({})


# ---- from_attributes mode (how FastAPI reads request bodies and response values) ----------

from miniasgi.coercion import Invalid  # noqa: E402
from miniasgi.validation import compile_check  # noqa: E402
from tests.miniasgi.test_validation_differential import (  # noqa: E402
    _normalise_error,
    normalise,
    to_pydantic,
)


class Row:
    def __init__(self, **columns):
        self.__dict__.update(columns)


@pytest.mark.parametrize("value", [
    {"name": "pen", "price": 1}, [1], "text", 5, None,
    Row(name="pen", price="2", secret="x"), Row(name="pen"),
    {"name": "pen", "price": 1, "images": [Row(url="u"), {"url": "v"}, 3]},
], ids=repr)
def test_from_attributes_mode_answers_as_pydantic_does(value):
    check = compile_check(Item, from_attributes=True)
    try:
        ours = ("ok", normalise(check(value)))
    except Invalid as invalid:
        ours = ("errors", [_normalise_error(error) for error in invalid.errors])
    adapter = pydantic.TypeAdapter(to_pydantic(Item))
    try:
        theirs = ("ok", normalise(adapter.validate_python(value, from_attributes=True)))
    except pydantic.ValidationError as error:
        theirs = ("errors", [_normalise_error(item) for item in error.errors(include_url=False)])
    assert ours == theirs


class ByName(Model):
    model_config = {"populate_by_name": True, "extra": "forbid"}
    item_id: int = Field(alias="itemId")


@pytest.mark.parametrize("value", [
    {"itemId": "1"}, {"item_id": "2"}, {"itemId": 1, "item_id": 2}, {}, {"item_id": "x"},
    {"other": 1},
], ids=repr)
def test_populate_by_name_accepts_the_python_name_as_pydantic_does(value):
    assert our_outcome(ByName, value, ("body",)) == pydantic_outcome(ByName, value, ("body",))


# ---- @field_validator and @model_validator (compared with pydantic's) ---------------------

from miniasgi.models import field_validator, model_validator  # noqa: E402


class Signup(Model):
    username: str = Field(min_length=2)
    age: int = 0
    password: str
    repeat: str

    @field_validator("username", mode="before")
    @classmethod
    def strip(cls, value):
        return value.strip() if isinstance(value, str) else value

    @field_validator("username")
    @classmethod
    def lowercase(cls, value: str) -> str:
        if value == "root":
            raise ValueError("root is reserved")
        return value.lower()

    @field_validator("age", "password")
    @classmethod
    def sensible(cls, value):
        assert value != 13, "unlucky"
        return value

    @model_validator(mode="after")
    def passwords_match(self):
        if self.password != self.repeat:
            raise ValueError("passwords do not match")
        return self


class PydanticSignup(pydantic.BaseModel):
    username: str = pydantic.Field(min_length=2)
    age: int = 0
    password: str
    repeat: str

    @pydantic.field_validator("username", mode="before")
    @classmethod
    def strip(cls, value):
        return value.strip() if isinstance(value, str) else value

    @pydantic.field_validator("username")
    @classmethod
    def lowercase(cls, value: str) -> str:
        if value == "root":
            raise ValueError("root is reserved")
        return value.lower()

    @pydantic.field_validator("age", "password")
    @classmethod
    def sensible(cls, value):
        assert value != 13, "unlucky"
        return value

    @pydantic.model_validator(mode="after")
    def passwords_match(self):
        if self.password != self.repeat:
            raise ValueError("passwords do not match")
        return self


@pytest.mark.parametrize("data", [
    {"username": "  Ann ", "password": "a", "repeat": "a"},
    {"username": "root", "password": "a", "repeat": "a"},
    {"username": " x ", "password": "a", "repeat": "a"},
    {"username": "ann", "age": "13", "password": "a", "repeat": "a"},
    {"username": "ann", "password": "a", "repeat": "b"},
    {"username": "root", "age": 13, "password": "a"},
    {"username": 5, "password": "a", "repeat": "a"},
], ids=repr)
def test_validators_run_and_refuse_as_pydantics_do(data):
    ours = our_outcome(Signup, data, ("body",))
    try:
        theirs = ("ok", normalise(PydanticSignup.model_validate(data)))
        theirs = ("ok", ("model", "Signup", theirs[1][2]))
    except pydantic.ValidationError as error:
        theirs = ("errors", [_normalise_error(item) for item in error.errors(include_url=False)])
        for item in theirs[1]:
            item["loc"] = ["body", *item["loc"]]
    assert ours == theirs


def test_a_validator_is_still_an_ordinary_method():
    assert Signup.lowercase("ANN") == "ann"


def test_a_validator_naming_an_unknown_field_is_refused_at_class_creation():
    with pytest.raises(TypeError, match="names no field"):
        class Broken(Model):
            name: str

            @field_validator("nmae")
            @classmethod
            def check(cls, value):
                return value


def test_validator_errors_encode_like_fastapis_422_body():
    from fastapi.encoders import jsonable_encoder as fastapi_jsonable_encoder

    from miniasgi.encoders import jsonable_encoder

    with pytest.raises(ValidationError) as caught:
        Signup.model_validate({"username": "root", "password": "a", "repeat": "a"})
    with pytest.raises(pydantic.ValidationError) as their_error:
        PydanticSignup.model_validate({"username": "root", "password": "a", "repeat": "a"})
    assert jsonable_encoder(caught.value.errors) == [
        {**error, "loc": list(error["loc"])}
        for error in fastapi_jsonable_encoder(their_error.value.errors(include_url=False))]


def test_a_field_type_that_cannot_be_validated_is_reported_with_the_model_and_field():
    class Odd(Model):
        value: complex

    with pytest.raises(TypeError, match=r"field Odd.value: cannot validate values of type"):
        Odd.model_validate({"value": 1})


def test_a_model_with_a_bad_field_is_refused_when_the_route_compiles_it():
    class Odd(Model):
        value: complex

    with pytest.raises(TypeError, match=r"field Odd.value"):
        compile_validator(Odd)


class Left(Model):
    right: Right | None = None


class Right(Model):
    left: Left | None = None


def test_models_that_refer_to_each_other_compile():
    validator = compile_validator(Left)
    assert validator({"right": {"left": {"right": None}}}) == Left(
        right=Right(left=Left(right=None)))


def test_a_bad_constraint_on_a_field_is_reported_with_the_model_and_field():
    class Odd(Model):
        code: str = Field(pattern="(unclosed")

    with pytest.raises(ValueError, match=r"field Odd.code: pattern '\(unclosed'"):
        Odd.model_validate({"code": "x"})
