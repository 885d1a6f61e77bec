"""miniasgi.validation: the contract other modules rely on, section by section.

The differential suite (test_validation_differential.py) checks that each answer
equals pydantic's; this file states the rules themselves: errors are collected,
located from the caller's prefix, compiled once; the helpers F's router uses
(missing_error, is_body_type, is_sequence_type) answer as FastAPI decides.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import typing
import uuid
from typing import Annotated, Any, Literal, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniasgi.models import Field, Model
from miniasgi.validation import (
    Constraints,
    ValidationError,
    compile_validator,
    is_body_type,
    is_sequence_type,
    missing_error,
)


class Image(Model):
    url: str


@dataclasses.dataclass
class Point:
    x: int


# ---- errors are collected, and located -----------------------------------------------------


def test_every_bad_item_of_a_list_is_reported():
    validator = compile_validator(list[int])
    with pytest.raises(ValidationError) as caught:
        validator(["1", "x", 3, "y", None], ("query", "ids"))
    assert [(error["loc"], error["type"]) for error in caught.value.errors] == [
        (["query", "ids", 1], "int_parsing"),
        (["query", "ids", 3], "int_parsing"),
        (["query", "ids", 4], "int_type"),
    ]


def test_loc_is_a_json_list_starting_with_the_given_prefix():
    with pytest.raises(ValidationError) as caught:
        compile_validator(dict[str, list[Image]])({"a": [{"url": 1}]}, ("body", "images"))
    assert caught.value.errors[0]["loc"] == ["body", "images", "a", 0, "url"]


def test_loc_defaults_to_the_path_inside_the_value():
    with pytest.raises(ValidationError) as caught:
        compile_validator(list[int])(["x"])
    assert caught.value.errors[0]["loc"] == [0]


def test_errors_carry_ctx_only_when_the_error_type_has_parameters():
    with pytest.raises(ValidationError) as caught:
        compile_validator(Annotated[int, Constraints(gt=0)])("x")
    assert "ctx" not in caught.value.errors[0]
    with pytest.raises(ValidationError) as caught:
        compile_validator(Annotated[int, Constraints(gt=0)])("0")
    assert caught.value.errors[0]["ctx"] == {"gt": 0}


def test_the_input_reported_is_what_the_client_sent_not_the_converted_value():
    with pytest.raises(ValidationError) as caught:
        compile_validator(Annotated[int, Constraints(gt=5)])("3")
    assert caught.value.errors[0]["input"] == "3"


def test_validation_error_prints_one_line_per_error():
    with pytest.raises(ValidationError) as caught:
        compile_validator(list[int])(["x", "y"], ("query", "ids"))
    text = str(caught.value)
    assert text.splitlines()[0] == "2 validation errors"
    assert "query.ids.0: Input should be a valid integer" in text


def test_missing_error_has_fastapis_shape():
    assert missing_error(("query", "q")) == {
        "type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None}


# ---- conversion (lax mode) ------------------------------------------------------------------


@pytest.mark.parametrize(("annotation", "sent", "expected"), [
    (int, "5", 5),
    (float, "2.5", 2.5),
    (bool, "yes", True),
    (bool, "off", False),
    (datetime.datetime, "2020-01-01T10:00:00+01:00",
     datetime.datetime(2020, 1, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))),
    (datetime.date, "2020-02-29", datetime.date(2020, 2, 29)),
    (uuid.UUID, "12345678-1234-5678-1234-567812345678",
     uuid.UUID("12345678-1234-5678-1234-567812345678")),
    (decimal.Decimal, "1.10", decimal.Decimal("1.10")),
    (list[int], ("1", 2), [1, 2]),
    (set[str], ["a", "a"], {"a"}),
    (tuple[int, str], ["1", "x"], (1, "x")),
    (Optional[int], None, None),
    (Literal["asc", "desc"], "asc", "asc"),
    (Any, object, object),
    (Point, {"x": "3"}, Point(3)),
], ids=repr)
def test_values_are_converted_as_a_fastapi_user_expects(annotation, sent, expected):
    assert compile_validator(annotation)(sent) == expected


def test_annotated_field_metadata_carries_constraints():
    validator = compile_validator(Annotated[str, Field(max_length=3)])
    with pytest.raises(ValidationError) as caught:
        validator("long")
    assert caught.value.errors[0]["type"] == "string_too_long"


def test_constraints_given_to_compile_validator_override_annotated_ones():
    validator = compile_validator(Annotated[int, Constraints(gt=0, lt=10)], Constraints(lt=100))
    assert validator(50) == 50
    with pytest.raises(ValidationError):
        validator(0)


def test_a_new_type_checks_as_its_supertype_with_its_constraints():
    short_name = typing.NewType("ShortName", Annotated[str, Constraints(max_length=2)])
    validator = compile_validator(short_name)
    assert validator("ab") == "ab"
    with pytest.raises(ValidationError) as caught:
        validator("abc")
    assert caught.value.errors[0]["type"] == "string_too_long"


@pytest.mark.parametrize(("annotation", "constraints", "good", "bad", "error_type"), [
    (Optional[int], Constraints(ge=0), [None, 0, "5"], [-1], "greater_than_equal"),
    (list[str] | None, Constraints(max_length=2), [None, ["a"]], [["a", "b", "c"]], "too_long"),
    (Optional[str], Constraints(pattern="^a"), [None, "ab"], ["b"], "string_pattern_mismatch"),
], ids=repr)
def test_constraints_on_a_union_limit_its_members_not_none(annotation, constraints, good, bad,
                                                           error_type):
    validator = compile_validator(annotation, constraints)
    for value in good:
        validator(value)
    for value in bad:
        with pytest.raises(ValidationError) as caught:
            validator(value)
        assert caught.value.errors[0]["type"] == error_type


def test_constraints_on_optional_match_pydantic_annotated_field():
    import pydantic

    from tests.miniasgi.test_validation_differential import our_outcome

    ours = our_outcome(Annotated[Optional[int], Constraints(ge=0)], -1, ("query", "n"))
    adapter = pydantic.TypeAdapter(Annotated[Optional[int], pydantic.Field(ge=0)])
    with pytest.raises(pydantic.ValidationError) as caught:
        adapter.validate_python(-1)
    theirs = caught.value.errors(include_url=False)[0]
    assert ours[1][0]["type"] == theirs["type"] and ours[1][0]["ctx"] == theirs["ctx"]
    assert ours[1][0]["loc"] == ["query", "n", *theirs["loc"]]


def test_pattern_is_searched_not_anchored_as_in_pydantic():
    validator = compile_validator(str, Constraints(pattern=r"\d"))
    assert validator("abc1") == "abc1"


# ---- compiled once ------------------------------------------------------------------------


def test_validating_does_no_annotation_inspection(monkeypatch):
    validator = compile_validator(list[Optional[Image]])
    nested = compile_validator(dict[str, tuple[int, Literal["a"]]])
    Image.model_validate({"url": "warm"})  # the model's plan is compiled on first use

    def refuse(*arguments, **keywords):
        raise AssertionError("annotation inspected at validation time")

    monkeypatch.setattr(typing, "get_origin", refuse)
    monkeypatch.setattr(typing, "get_args", refuse)
    monkeypatch.setattr(typing, "get_type_hints", refuse)
    assert validator([{"url": "u"}, None]) == [Image(url="u"), None]
    assert nested({"k": ["1", "a"]}) == {"k": (1, "a")}


def test_compile_once_then_reuse_gives_independent_results():
    validator = compile_validator(list[int])
    first = validator(["1"])
    second = validator(["2"])
    assert (first, second) == ([1], [2])


# ---- mistakes in the annotation are caught at compile time ---------------------------------


def test_an_unsupported_type_is_refused_when_compiling_with_advice():
    with pytest.raises(TypeError, match="cannot validate values of type"):
        compile_validator(complex)


@pytest.mark.parametrize(("annotation", "constraints", "named"), [
    (int, Constraints(max_length=3), "max_length"),
    (datetime.date, Constraints(pattern="x"), "pattern"),
    (str, Constraints(gt=1, multiple_of=2), "gt, multiple_of"),
    (int | str, Constraints(ge=0, max_length=2), "max_length"),
], ids=repr)
def test_a_constraint_that_cannot_apply_is_refused_when_compiling(annotation, constraints,
                                                                  named):
    with pytest.raises(TypeError, match=f"cannot apply {named} to"):
        compile_validator(annotation, constraints)


def test_an_invalid_pattern_is_refused_when_compiling():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_validator(str, Constraints(pattern="(unclosed"))


# ---- what the router asks ----------------------------------------------------------------


@pytest.mark.parametrize(("annotation", "expected"), [
    (Image, True), (Point, True), (list[Image], True), (dict[str, Image], True),
    (Optional[Image], True), (Annotated[Image, "doc"], True),
    (int, False), (str, False), (list[int], False), (dict[str, int], False),
    (Optional[int], False), (Model, True),
], ids=repr)
def test_is_body_type_follows_fastapis_a_model_is_the_body_rule(annotation, expected):
    assert is_body_type(annotation) is expected


@pytest.mark.parametrize(("annotation", "expected"), [
    (list[int], True), (set[str], True), (tuple[int, ...], True), (list, True),
    (Optional[list[int]], True), (Annotated[list[str], Constraints(min_length=1)], True),
    (int, False), (str, False), (dict[str, int], False), (Image, False),
], ids=repr)
def test_is_sequence_type_marks_query_parameters_that_repeat(annotation, expected):
    assert is_sequence_type(annotation) is expected


def test_constraints_merge_keeps_set_values_of_both():
    merged = Constraints(gt=1, max_length=5).merged_with(Constraints(gt=2, pattern="x"))
    assert merged == Constraints(gt=2, max_length=5, pattern="x")
    assert Constraints().is_empty() and not merged.is_empty()


# ---- properties --------------------------------------------------------------------------


@given(st.lists(st.integers() | st.text(max_size=5), max_size=8))
def test_a_list_is_accepted_exactly_when_no_item_reports_an_error(items):
    validator = compile_validator(list[int])
    try:
        result = validator(items)
    except ValidationError as error:
        bad = {error_item["loc"][0] for error_item in error.errors}
        assert bad and all(isinstance(items[index], str) for index in bad)
    else:
        assert len(result) == len(items)
        assert all(isinstance(item, int) for item in result)


@given(st.integers(min_value=-10**6, max_value=10**6))
def test_an_integer_written_as_text_reads_back_as_itself(number):
    validator = compile_validator(int)
    assert validator(str(number)) == number
    assert validator(f" {number:_} ") == number
