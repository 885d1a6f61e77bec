"""miniasgi.datetimes: reading RFC 3339 §5.6 dates and date-times, and Unix timestamps.

The error texts are checked against pydantic in test_validation_differential.py;
here are the laws: what Python writes with isoformat() reads back to the same
value, and every piece of the grammar is named in the complaint when it is wrong.
"""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniasgi.datetimes import (
    DateParseError,
    maybe_timestamp,
    parse_date,
    parse_datetime,
    timestamp_to_datetime,
)

offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes)))
datetimes = st.datetimes(min_value=datetime.datetime(1, 1, 1),
                         max_value=datetime.datetime(9999, 12, 31),
                         timezones=st.none() | offsets)


@given(datetimes)
def test_isoformat_output_reads_back_to_the_same_datetime(moment):
    parsed = parse_datetime(moment.isoformat())
    assert parsed == moment
    assert parsed.utcoffset() == moment.utcoffset()


@given(st.dates(min_value=datetime.date(1, 1, 1)))
def test_isoformat_dates_read_back(day):
    assert parse_date(day.isoformat()) == day


@pytest.mark.parametrize("separator", ["T", "t", " ", "_"])
def test_date_and_time_may_be_separated_as_pydantic_allows(separator):
    assert parse_datetime(f"2020-01-01{separator}10:20") == datetime.datetime(2020, 1, 1, 10, 20)


def test_fractions_past_microseconds_are_cut_not_rounded():
    assert parse_datetime("2020-01-01T00:00:00.9999999").microsecond == 999999


def test_offsets_with_and_without_colon_and_z():
    assert parse_datetime("2020-01-01T00:00Z").utcoffset() == datetime.timedelta(0)
    assert parse_datetime("2020-01-01T00:00-0230").utcoffset() == -datetime.timedelta(
        hours=2, minutes=30)


@pytest.mark.parametrize(("text", "reason"), [
    ("2020-01", "input is too short"),
    ("2x20-01-01", "invalid character in year"),
    ("2020.01-01", "invalid date separator, expected `-`"),
    ("2020-0x-01", "invalid character in month"),
    ("2020-01-0x", "invalid character in day"),
    ("2020-13-01", "month value is outside expected range of 1-12"),
    ("2019-02-29", "day value is outside expected range"),
    ("2020-01-01extra", "unexpected extra characters at the end of the input"),
])
def test_date_errors_name_the_part_that_is_wrong(text, reason):
    with pytest.raises(DateParseError, match=f"^{reason}$"):
        parse_date(text)


@pytest.mark.parametrize(("text", "reason"), [
    ("2020-01-01", "input is too short"),
    ("2020-01-01X10:00", "invalid datetime separator, expected `T`, `t`, `_` or space"),
    ("2020-01-01T1x:00", "invalid character in hour"),
    ("2020-01-01T10.00", "invalid time separator, expected `:`"),
    ("2020-01-01T10:0x", "invalid character in minute"),
    ("2020-01-01T10:00:x0", "invalid character in second"),
    ("2020-01-01T10:00:00.", "second fraction digits missing after `.`"),
    ("2020-01-01T24:00", "hour value is outside expected range of 0-23"),
    ("2020-01-01T10:60", "minute value is outside expected range of 0-59"),
    ("2020-01-01T10:00:60", "second value is outside expected range of 0-59"),
    ("2020-01-01T10:00~", "invalid timezone sign"),
    ("2020-01-01T10:00+x", "invalid timezone hour"),
    ("2020-01-01T10:00+01:x", "invalid timezone minute"),
    ("2020-01-01T10:00+01:60", "timezone minute value is outside expected range of 0-59"),
    ("2020-01-01T10:00+24:00", "timezone offset must be less than 24 hours"),
    ("2020-01-01T10:00Z!", "unexpected extra characters at the end of the input"),
])
def test_datetime_errors_name_the_part_that_is_wrong(text, reason):
    with pytest.raises(DateParseError, match=f"^{reason}$"):
        parse_datetime(text)


def test_lengths_count_utf8_bytes_as_pydantic_does():
    # 7 characters but 10 bytes: long enough to be judged on its first "year" character.
    with pytest.raises(DateParseError, match="invalid character in year"):
        parse_date("\u16800.000\x85")


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0), ("-5", -5), ("+7", 7), ("1.5", 1.5), (".5", 0.5), ("5.", 5.0), ("1.e3", 1000.0),
    ("1e3", None), ("2020-01-01", None), ("", None), ("-", None),
])
def test_which_strings_are_timestamps(text, expected):
    assert maybe_timestamp(text) == expected


def test_timestamps_past_2e10_are_milliseconds():
    assert timestamp_to_datetime(1_600_000_000) == timestamp_to_datetime(1_600_000_000_000)


def test_timestamps_past_the_year_9999_are_refused():
    with pytest.raises(DateParseError, match="dates after 9999"):
        timestamp_to_datetime(253_402_300_800_000)


# ---- durations (ISO 8601 §4.4.3.2 and Python's str(timedelta)) ----------------------------

from miniasgi.datetimes import parse_duration  # noqa: E402
from miniasgi.encoders import iso_duration  # noqa: E402

durations = st.timedeltas(min_value=datetime.timedelta(days=-999_999_999),
                          max_value=datetime.timedelta(days=999_999_999))


@given(durations)
def test_a_duration_written_in_iso_8601_reads_back_to_itself(duration):
    assert parse_duration(iso_duration(duration)) == duration


@given(st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=999)))
def test_pythons_own_spelling_of_a_duration_reads_back(duration):
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize(("text", "reason"), [
    ("P", "input is too short"),
    ("P1", "quantity invalid in date part of duration"),
    ("PT1X", "quantity invalid in time part of duration"),
    ("PTT1H", "`t` character repeated in duration"),
    ("P0.5D1H", "quantity fraction invalid in duration"),
    ("P1000000000D", "durations may not exceed 999,999,999 days"),
    ("1x", '"day" identifier in duration not correctly formatted'),
    ("10:61", "minute value is outside expected range of 0-59"),
    ("1 day, 30:00", "hour value is outside expected range of 0-23"),
])
def test_duration_errors_say_what_is_wrong(text, reason):
    with pytest.raises(DateParseError, match=f"^{re.escape(reason)}$"):
        parse_duration(text)
