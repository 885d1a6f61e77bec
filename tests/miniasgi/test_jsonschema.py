"""JSON Schema 2020-12 of annotations and models, compared with pydantic v2's output.

OpenAPI 3.1's Schema Object is JSON Schema 2020-12, and FastAPI fills it from
pydantic; a FastAPI user reading /openapi.json should see the same schemas here.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import typing
import uuid
from typing import Annotated, Any, Literal, Optional

import pydantic
import pytest

from miniasgi.jsonschema import field_title, schema_of
from miniasgi.models import Field, Model
from miniasgi.validation import Constraints
from tests.miniasgi.test_validation_differential import to_pydantic


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class User(Model):
    """A person who owns items."""

    username: str = Field(min_length=3, max_length=20, pattern="^[a-z]+$")
    full_name: str | None = None
    age: int = Field(18, ge=0, lt=150, description="in years")


class Item(Model):
    item_id: int
    name: str = Field(title="Item name", examples=["pen"])
    price: float = Field(gt=0, multiple_of=0.01)
    owner: User
    backup_owner: Optional[User] = None
    tags: list[str] = []
    labels: set[str] = Field(default_factory=set)
    color: Color = Color.RED
    priority: Priority = Priority.LOW
    kind: Literal["tool"] = "tool"
    size: Literal["s", "m", "l"] = "m"
    dimensions: tuple[int, int]
    extra: dict[str, int] = {}
    anything: Any = None
    created: datetime.datetime
    day: datetime.date
    ref: uuid.UUID
    cost: decimal.Decimal
    ratio: float | int = 1


class Node(Model):
    value: int
    children: list[Node] = []


class Keywords(Model):
    from_: int
    x_y_: str = Field(alias="xY")


class Forbidding(Model):
    model_config = {"extra": "forbid"}
    id: int


class Priced(Model):
    price: decimal.Decimal = decimal.Decimal("1.50")
    amount: decimal.Decimal = Field(max_digits=8, decimal_places=2, ge=0)
    when: datetime.datetime = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    amounts: list[decimal.Decimal] = Field(examples=[[decimal.Decimal("2.5")]])


@pytest.mark.parametrize("mode", ["validation", "serialization"])
@pytest.mark.parametrize("model", [User, Item, Forbidding, Priced, Keywords],
                         ids=lambda model: model.__name__)
def test_model_json_schema_matches_pydantic(model, mode):
    assert model.model_json_schema(mode) == to_pydantic(model).model_json_schema(mode=mode)


def test_an_unknown_schema_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be 'validation' or 'serialization'"):
        schema_of(int, definitions={}, mode="output")


@pytest.mark.parametrize("annotation", [
    int, float, str, bool, bytes, None, datetime.datetime, datetime.date, uuid.UUID,
    decimal.Decimal, list[int], set[str], frozenset[int], tuple[int, ...], tuple[int, str],
    dict[str, float], dict, list, Any, Optional[int], int | str | None, Literal["a"],
    Literal["a", "b"], Literal[1, "a"], Color, Priority, User, list[User], Optional[User],
    dict[str, list[User]], Annotated[int, Constraints(gt=0, le=10)],
    Annotated[str, Constraints(min_length=1, max_length=5, pattern="x")],
    Annotated[list[int], Constraints(min_length=1, max_length=3)],
    Annotated[dict[str, int], Constraints(min_length=1)],
    datetime.time, typing.Sequence[int], typing.Mapping[str, float],
    Annotated[Optional[int], Constraints(ge=0)], Literal[Color.RED], Literal[Priority.LOW, 2],
    Literal[True], Literal[None, 1], datetime.timedelta,
    Annotated[decimal.Decimal, Constraints(gt=1, max_digits=4, decimal_places=2)],
    Annotated[decimal.Decimal, Constraints(max_digits=3)],
    Annotated[decimal.Decimal, Constraints(decimal_places=2, le=10)],
    Annotated[list[str] | None, Constraints(max_length=3)],
    typing.NewType("UserId", int),
], ids=repr)
def test_schema_of_an_annotation_matches_pydantic_with_components_refs(annotation):
    definitions: dict = {}
    ours = schema_of(annotation, definitions=definitions)
    theirs = pydantic.TypeAdapter(to_pydantic(annotation)).json_schema(
        ref_template="#/components/schemas/{model}")
    their_definitions = theirs.pop("$defs", {})
    if isinstance(annotation, type) and issubclass(annotation, Model | enum.Enum):
        # pydantic writes a top-level model or enum inline; OpenAPI needs it referenced.
        assert ours == {"$ref": f"#/components/schemas/{annotation.__name__}"}
        assert definitions.pop(annotation.__name__) == theirs
    else:
        assert ours == theirs
    assert definitions == their_definitions


def test_schema_of_adds_constraints_passed_separately():
    schema = schema_of(int, Constraints(ge=1, multiple_of=5), definitions={})
    assert schema == {"type": "integer", "minimum": 1, "multipleOf": 5}


def test_a_self_referencing_model_refers_to_itself():
    definitions: dict = {}
    assert schema_of(Node, definitions=definitions) == {"$ref": "#/components/schemas/Node"}
    assert definitions["Node"]["properties"]["children"] == {
        "default": [], "items": {"$ref": "#/components/schemas/Node"}, "title": "Children",
        "type": "array"}


def test_ref_prefix_can_be_chosen():
    definitions: dict = {}
    assert schema_of(User, definitions=definitions, ref_prefix="#/$defs/") == {
        "$ref": "#/$defs/User"}


def test_field_titles_are_spelled_as_pydantic_spells_them():
    assert [field_title(name) for name in ("item_id", "name", "fullName", "a_b_c", "from_")] == [
        "Item Id", "Name", "Fullname", "A B C", "From"]


def test_an_unsupported_annotation_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="no JSON Schema for"):
        schema_of(complex, definitions={})


# ---- property: any annotation of the validation grammar gets pydantic's schema ------------

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.miniasgi.test_validation_differential import annotations  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(annotation=annotations)
def test_any_annotation_of_the_grammar_gets_pydantics_schema_in_both_modes(annotation):
    for mode in ("validation", "serialization"):
        definitions: dict = {}
        ours = schema_of(annotation, definitions=definitions, mode=mode)
        theirs = pydantic.TypeAdapter(to_pydantic(annotation)).json_schema(
            ref_template="#/components/schemas/{model}", mode=mode)
        their_definitions = theirs.pop("$defs", {})
        if isinstance(annotation, type) and issubclass(annotation, Model | enum.Enum):
            assert ours == {"$ref": f"#/components/schemas/{annotation.__name__}"}
            assert definitions.pop(annotation.__name__) == theirs
        else:
            assert ours == theirs
        assert definitions == their_definitions
