"""jsonable_encoder and the response-model filter, compared with FastAPI's own.

Two oracles: fastapi.encoders.jsonable_encoder for plain return values, and a real
FastAPI app (through its TestClient) for values filtered by a response_model.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import pathlib
import uuid
from typing import Optional

import pydantic
import pytest
from fastapi.encoders import jsonable_encoder as fastapi_jsonable_encoder

from miniasgi.encoders import compile_response_serializer, jsonable_encoder
from miniasgi.exceptions import ResponseValidationError
from miniasgi.models import Field, Model
from tests.miniasgi.test_validation_differential import to_pydantic


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    when: datetime.date


class Image(Model):
    url: str
    taken: datetime.datetime | None = None


class PublicUser(Model):
    username: str
    email: str | None = None
    images: list[Image] = []


class StoredUser(PublicUser):
    password_hash: str


class Row:
    """What an ORM hands back: an object with attributes, some of them secret."""

    def __init__(self, **columns):
        self.__dict__.update(columns)


PLAIN_VALUES = [
    None, 1, 1.5, "text", True,
    [1, "a", None], (1, 2), {3, 4}, frozenset({5}),
    {"a": 1, "nested": {"b": [1, 2]}},
    datetime.datetime(2021, 5, 5, 10, 20, 30, 123000),
    datetime.datetime(2021, 5, 5, 10, 20, 30, tzinfo=datetime.UTC),
    datetime.date(2021, 5, 5), datetime.time(10, 20),
    datetime.timedelta(days=1, seconds=3),
    uuid.UUID(int=12345), decimal.Decimal("1.50"), decimal.Decimal("10"),
    Color.RED, b"bytes", pathlib.PurePosixPath("/tmp/x"),
    Point(1, datetime.date(2020, 1, 1)),
    {"point": Point(2, datetime.date(2020, 1, 2)), "color": Color.RED},
    {uuid.UUID(int=1): "uuid key"},
]


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=repr)
def test_jsonable_encoder_matches_fastapi_for_plain_values(value):
    assert jsonable_encoder(value) == fastapi_jsonable_encoder(value)


def test_jsonable_encoder_matches_fastapi_for_models():
    data = {"username": "ann", "images": [{"url": "u", "taken": "2021-05-05T10:00:00Z"}]}
    ours = jsonable_encoder({"user": PublicUser.model_validate(data)})
    theirs = fastapi_jsonable_encoder({"user": to_pydantic(PublicUser).model_validate(data)})
    assert ours == theirs


def test_jsonable_encoder_reads_plain_objects_by_their_public_attributes():
    assert jsonable_encoder(Row(id=1, _private=2)) == {"id": 1}


def test_jsonable_encoder_says_what_it_cannot_encode():
    with pytest.raises(TypeError, match="cannot turn complex value"):
        jsonable_encoder(1j)


def test_jsonable_encoder_output_is_json_serialisable():
    for value in PLAIN_VALUES:
        json.dumps(jsonable_encoder(value))


# ---- response_model filtering ------------------------------------------------------------


def test_a_field_not_in_the_response_model_never_leaves_an_orm_row():
    serialize = compile_response_serializer(PublicUser)
    row = Row(username="ann", email=None, password_hash="$argon2id$secret", images=[])
    assert serialize(row) == {"username": "ann", "email": None, "images": []}


def test_a_subclass_instance_is_filtered_down_to_the_response_model():
    serialize = compile_response_serializer(PublicUser)
    stored = StoredUser(username="ann", password_hash="secret")
    assert "password_hash" not in serialize(stored)


def test_dicts_dataclasses_and_lists_are_filtered_too():
    serialize = compile_response_serializer(list[PublicUser])
    output = serialize([
        {"username": "a", "password_hash": "x"},
        Row(username="b", password_hash="y", images=[Row(url="u", secret=1)]),
    ])
    assert output == [
        {"username": "a", "email": None, "images": []},
        {"username": "b", "email": None, "images": [{"url": "u", "taken": None}]},
    ]


def test_a_value_that_does_not_fit_raises_response_validation_error_under_response():
    serialize = compile_response_serializer(PublicUser)
    with pytest.raises(ResponseValidationError) as caught:
        serialize({"email": 5})
    assert [(error["type"], error["loc"]) for error in caught.value.errors()] == [
        ("missing", ["response", "username"]), ("string_type", ["response", "email"])]


def test_non_model_response_models_convert_and_encode():
    serialize = compile_response_serializer(dict[str, datetime.date])
    assert serialize({"day": "2021-05-05"}) == {"day": "2021-05-05"}
    assert compile_response_serializer(Optional[int])(None) is None


def test_aliases_are_used_on_the_way_out_as_fastapi_does():
    class Aliased(Model):
        item_id: int = Field(alias="itemId")

    assert compile_response_serializer(Aliased)(Row(itemId=3)) == {"itemId": 3}


RESPONSE_CASES = [
    (PublicUser, {"username": "ann", "password_hash": "x", "email": "a@b.c"}),
    (PublicUser, {"username": "ann", "images": [{"url": "u",
                                                 "taken": "2021-05-05T10:00:00+00:00"}]}),
    (list[PublicUser], [{"username": "a"}, {"username": "b", "extra": 1}]),
    (Image, {"url": "u", "taken": datetime.datetime(2021, 5, 5, tzinfo=datetime.UTC)}),
    (dict[str, int], {"a": "1"}),
]


@pytest.mark.parametrize(("response_model", "returned"), RESPONSE_CASES,
                         ids=[repr(returned)[:50] for _, returned in RESPONSE_CASES])
def test_response_bodies_match_a_real_fastapi_app(response_model, returned):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.get("/", response_model=to_pydantic(response_model))
    def endpoint():
        return returned

    theirs = TestClient(app).get("/").json()
    ours = json.loads(json.dumps(compile_response_serializer(response_model)(returned)))
    assert ours == theirs


def test_pydantic_json_mode_writes_utc_as_z_like_our_models():
    moment = datetime.datetime(2021, 5, 5, tzinfo=datetime.UTC)

    class PydanticImage(pydantic.BaseModel):
        url: str
        taken: datetime.datetime

    assert Image(url="u", taken=moment).model_dump(mode="json") == \
        PydanticImage(url="u", taken=moment).model_dump(mode="json")


# ---- durations (ISO 8601 §4.4.3.2, as pydantic writes them) -------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from miniasgi.encoders import iso_duration  # noqa: E402


@given(st.timedeltas())
def test_durations_are_written_as_pydantic_writes_them(duration):
    expected = pydantic.TypeAdapter(datetime.timedelta).dump_python(duration, mode="json")
    assert iso_duration(duration) == expected


def test_a_model_field_duration_is_iso_text_but_a_plain_one_is_seconds_as_in_fastapi():
    from typing import Any

    class Job(Model):
        took: Any

    class PydanticJob(pydantic.BaseModel):
        took: Any

    took = datetime.timedelta(minutes=1, microseconds=5)
    assert Job(took=took).model_dump(mode="json") == PydanticJob(took=took).model_dump(
        mode="json") == {"took": "PT1M0.000005S"}
    assert jsonable_encoder(datetime.timedelta(minutes=1)) == fastapi_jsonable_encoder(
        datetime.timedelta(minutes=1)) == 60.0


# ---- jsonable_encoder's options, as FastAPI's -------------------------------------------


class Aliased(Model):
    item_id: int = Field(alias="itemId")
    note: str | None = None
    size: int = 1


@pytest.mark.parametrize("options", [
    {}, {"by_alias": False}, {"exclude_unset": True}, {"exclude_none": True},
    {"exclude_defaults": True}, {"include": {"itemId", "item_id"}}, {"exclude": {"note"}},
], ids=repr)
@pytest.mark.parametrize("wrap", [
    lambda item: item, lambda item: [item, item], lambda item: {"a": item, "b": None},
], ids=["model", "list", "dict"])
def test_jsonable_encoder_options_match_fastapis(options, wrap):
    data = {"itemId": 3, "note": None}
    ours = jsonable_encoder(wrap(Aliased.model_validate(data)), **options)
    theirs = fastapi_jsonable_encoder(wrap(to_pydantic(Aliased).model_validate(data)), **options)
    assert ours == theirs
