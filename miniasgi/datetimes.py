"""Reading dates, times and durations from text: RFC 3339 (§5.6) as pydantic v2 reads it.

A JSON body or a query string carries a date as text, so validation must turn
`"2020-01-01T10:20:30Z"` into a `datetime`. RFC 3339 §5.6 gives the grammar:

    full-date  = YYYY "-" MM "-" DD
    date-time  = full-date "T" HH ":" MM [":" SS ["." fraction]] [time-offset]
    time-offset = "Z" / ("+" / "-") HH [":"] MM

The parser here is a sans-I/O function: text in, a value or a `DateParseError`
out. It accepts what pydantic v2 (through its `speedate` parser) accepts, so a
client that works against FastAPI keeps working:

- the separator between date and time may be `T`, `t`, `_` or a space;
- seconds are optional; a fraction longer than 6 digits is truncated to
  microseconds (Python's resolution); `Z`/`z` or `+HH:MM`/`+HHMM` offsets;
- a string of digits (optionally signed, with a fraction) is a Unix timestamp
  in seconds, or in milliseconds when its magnitude is above 2e10 (so that
  `1600000000000` means a day in 2020, not in the year 52000).

Durations (`timedelta`) are read in ISO 8601's form (§4.4.3.2: `P1Y2M3W4DT5H6M7.5S`,
a year counted as 365 days and a month as 30, only the last quantity may have a
fraction) and in the form Python prints (`1 day, 02:00:00`, `2d 10:20`,
`100:00` for a hundred hours); a leading sign applies to the whole duration.

The error texts are pydantic's word for word (`"input is too short"`,
`"month value is outside expected range of 1-12"`, ...), because FastAPI
clients see them inside 422 answers.

A date asked for as a datetime that fails both readings reports the *date*
reader's complaint, and a date that fails both reports the *datetime* reader's;
that is the order pydantic tries them in, kept so the messages match.
"""

from __future__ import annotations

import datetime
import math
import re

__all__ = [
    "DateParseError",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "parse_time",
    "seconds_to_duration",
    "seconds_to_time",
    "timestamp_to_datetime",
]

# Magnitudes above this are taken as milliseconds (pydantic's rule: 2e10
# seconds is the year 2603, a point no real timestamp in seconds reaches).
MILLISECONDS_THRESHOLD = 2e10

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

# An integer, or a decimal number with a point and an optional exponent ("1.e5" is a
# timestamp to pydantic, "1e5" is not).
TIMESTAMP_PATTERN = re.compile(r"[+-]?(?:[0-9]+|(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
LATEST_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second Python can hold
EARLIEST_TIMESTAMP = -62_135_596_800  # 0001-01-01T00:00:00Z


class DateParseError(ValueError):
    """The text is not a date or datetime; `str(error)` is pydantic's reason."""


def _digits(text: bytes, start: int, count: int, what: str) -> int:
    chunk = text[start : start + count]
    if len(chunk) != count or not chunk.isdigit():
        raise DateParseError(f"invalid character in {what}")
    return int(chunk)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _read_date_part(text: bytes) -> datetime.date:
    """Read the first ten characters as YYYY-MM-DD (the caller checks the rest)."""
    if len(text) < 10:
        raise DateParseError("input is too short")
    year = _digits(text, 0, 4, "year")
    if text[4:5] != b"-":
        raise DateParseError("invalid date separator, expected `-`")
    month = _digits(text, 5, 2, "month")
    if text[7:8] != b"-":
        raise DateParseError("invalid date separator, expected `-`")
    day = _digits(text, 8, 2, "day")
    if not 1 <= month <= 12:
        raise DateParseError("month value is outside expected range of 1-12")
    if not 1 <= day <= _days_in_month(year, month):
        raise DateParseError("day value is outside expected range")
    if year == 0:
        raise DateParseError("year 0 is out of range")
    return datetime.date(year, month, day)


def _read_time_part(text: bytes, position: int) -> tuple[datetime.time, int]:
    """Read HH:MM[:SS[.ffffff]] starting at `position`; return the time and where it ended."""
    if len(text) < position + 5:
        raise DateParseError("input is too short")
    hour = _digits(text, position, 2, "hour")
    if text[position + 2 : position + 3] != b":":
        raise DateParseError("invalid time separator, expected `:`")
    minute = _digits(text, position + 3, 2, "minute")
    second, microsecond, position = _read_seconds(text, position + 5)
    if hour > 23:
        raise DateParseError("hour value is outside expected range of 0-23")
    if minute > 59:
        raise DateParseError("minute value is outside expected range of 0-59")
    if second > 59:
        raise DateParseError("second value is outside expected range of 0-59")
    return datetime.time(hour, minute, second, microsecond), position


def _read_seconds(text: bytes, position: int) -> tuple[int, int, int]:
    """Read the optional `:SS[.ffffff]` after HH:MM; return second, microsecond, end."""
    second = microsecond = 0
    if text[position : position + 1] == b":":
        second = _digits(text, position + 1, 2, "second")
        position += 3
        if text[position : position + 1] == b".":
            position += 1
            start = position
            while text[position : position + 1].isdigit():
                position += 1
            if position == start:
                raise DateParseError("second fraction digits missing after `.`")
            digits = text[start : min(position, start + 6)]  # finer than microseconds: cut
            microsecond = int(digits.ljust(6, b"0"))
    return second, microsecond, position


def _read_offset(text: bytes, position: int) -> tuple[datetime.tzinfo | None, int]:
    """Read an optional `Z` or `±HH[:]MM` offset at `position`."""
    if position >= len(text):
        return None, position
    sign_character = text[position : position + 1]
    if sign_character in (b"Z", b"z"):
        return UTC, position + 1
    if sign_character not in (b"+", b"-"):
        raise DateParseError("invalid timezone sign")
    hours_text = text[position + 1 : position + 3]
    if len(hours_text) != 2 or not hours_text.isdigit():
        raise DateParseError("invalid timezone hour")
    position += 3
    if text[position : position + 1] == b":":
        position += 1
    minutes_text = text[position : position + 2]
    if len(minutes_text) != 2 or not minutes_text.isdigit():
        raise DateParseError("invalid timezone minute")
    position += 2
    hours, minutes = int(hours_text), int(minutes_text)
    if minutes > 59:
        raise DateParseError("timezone minute value is outside expected range of 0-59")
    if hours > 23:
        raise DateParseError("timezone offset must be less than 24 hours")
    offset = datetime.timedelta(hours=hours, minutes=minutes)
    if sign_character == b"-":
        offset = -offset
    return datetime.timezone(offset), position


def parse_date(text: str) -> datetime.date:
    """Read exactly YYYY-MM-DD; raise DateParseError with pydantic's reason otherwise."""
    text = text.encode("utf-8", "surrogatepass")  # lengths count bytes, as in pydantic
    date = _read_date_part(text)
    if len(text) > 10:
        raise DateParseError("unexpected extra characters at the end of the input")
    return date


def parse_datetime(text: str) -> datetime.datetime:
    """Read an RFC 3339 date-time (with pydantic's relaxations, see the module docstring)."""
    text = text.encode("utf-8", "surrogatepass")  # lengths count bytes, as in pydantic
    date = _read_date_part(text)
    if len(text) == 10:
        raise DateParseError("input is too short")
    if text[10:11] not in (b"T", b"t", b"_", b" "):
        raise DateParseError("invalid datetime separator, expected `T`, `t`, `_` or space")
    time, position = _read_time_part(text, 11)
    tzinfo, position = _read_offset(text, position)
    if position != len(text):
        raise DateParseError("unexpected extra characters at the end of the input")
    return datetime.datetime.combine(date, time, tzinfo)


def parse_time(text: str) -> datetime.time:
    """Read HH:MM[:SS[.ffffff]][offset] (RFC 3339 partial-time, with pydantic's relaxations)."""
    data = text.encode("utf-8", "surrogatepass")
    time, position = _read_time_part(data, 0)
    tzinfo, position = _read_offset(data, position)
    if position != len(data):
        raise DateParseError("unexpected extra characters at the end of the input")
    return time.replace(tzinfo=tzinfo)


def seconds_to_time(seconds: float | int) -> datetime.time:
    """Seconds since midnight as a UTC time of day (pydantic's reading of a number)."""
    if seconds > 86_399:
        raise DateParseError("numeric times may not exceed 86,399 seconds")
    if seconds < 0:
        raise DateParseError("time in seconds should be positive")
    whole = int(seconds)
    microseconds = math.floor((seconds - whole) * 1_000_000 + 0.5)
    hours, rest = divmod(whole, 3600)
    return datetime.time(hours, rest // 60, rest % 60, microseconds, tzinfo=UTC)


# ---- durations: ISO 8601 (§4.4.3.2, "P1DT2H") and Python's "1 day, 02:00:00" ---------------

MICROSECONDS = {"Y": 365 * 86_400_000_000, "M": 30 * 86_400_000_000, "W": 7 * 86_400_000_000,
                "D": 86_400_000_000}
TIME_MICROSECONDS = {"H": 3_600_000_000, "M": 60_000_000, "S": 1_000_000}
LARGEST_DURATION_DAYS = 999_999_999  # Python's timedelta holds up to this many days
LARGEST_QUANTITY = 2**32 - 1  # pydantic reads each number of a duration as 32 bits
DURATION_NUMBER = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")
DAYS_PREFIX = re.compile(r"([0-9]+) ?(?:days?|d)(?:,)? ?", re.IGNORECASE)


def parse_duration(text: str) -> datetime.timedelta:
    """Read an ISO 8601 duration or a "[D day[s], ]H:MM[:SS[.f]]" one, signed; as pydantic."""
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in ("+", "-") else text
    if body.startswith("P"):
        microseconds = _iso_duration_microseconds(body[1:])
    else:
        microseconds = _clock_duration_microseconds(body)
    if microseconds > LARGEST_DURATION_DAYS * 86_400_000_000:
        raise DateParseError("durations may not exceed 999,999,999 days")
    return datetime.timedelta(microseconds=sign * microseconds)


def _iso_duration_microseconds(body: str) -> int:
    if body in ("", "T"):
        raise DateParseError("input is too short")
    total, position, units, part = 0, 0, MICROSECONDS, "date"
    fraction_seen = False
    while position < len(body):
        if body[position] == "T":
            if units is TIME_MICROSECONDS:
                raise DateParseError("`t` character repeated in duration")
            units, part, position = TIME_MICROSECONDS, "time", position + 1
            continue
        number = DURATION_NUMBER.match(body, position)
        if number is None:
            raise DateParseError("invalid digit in duration")
        if fraction_seen:  # ISO 8601 §4.4.3.2: only the last (smallest) quantity has a fraction
            raise DateParseError("quantity fraction invalid in duration")
        fraction_seen = number.group(2) is not None
        position = number.end()
        unit = body[position : position + 1]
        if unit not in units:
            raise DateParseError(f"quantity invalid in {part} part of duration")
        position += 1
        whole, fraction = number.group(1), number.group(2) or "0"
        if int(whole) > LARGEST_QUANTITY:
            raise DateParseError("a numeric value in the duration is too large")
        total += int(whole) * units[unit] + round(
            int(fraction) * units[unit] / 10 ** len(fraction))
    return total


def _clock_duration_microseconds(body: str) -> int:
    if not body:
        raise DateParseError("input is too short")
    prefix = DAYS_PREFIX.match(body)  # "1 day, 10:20:30", "2d10:20", "3 days"
    if prefix is not None:
        days, clock = int(prefix.group(1)), body[prefix.end():]
        if not clock:
            return days * 86_400_000_000
        clock_microseconds = _clock_microseconds(clock.encode("utf-8", "surrogatepass"))
        if clock_microseconds >= 86_400_000_000:  # after "N days" the clock is a time of day
            raise DateParseError("hour value is outside expected range of 0-23")
        return days * 86_400_000_000 + clock_microseconds
    if len(body) >= 5:  # long enough to be a clock reading: "10:20", "100:00:00"
        return _clock_microseconds(body.encode("utf-8", "surrogatepass"))
    if not (body[0].isascii() and body[0].isdigit()):
        raise DateParseError("invalid digit in duration")
    raise DateParseError('"day" identifier in duration not correctly formatted')


def _clock_microseconds(data: bytes) -> int:
    """H...:MM[:SS[.ffffff]] with any number of hours (a duration, not a time of day)."""
    if len(data) < 5:
        raise DateParseError("input is too short")
    hours_end = 0
    while data[hours_end : hours_end + 1].isdigit():
        hours_end += 1
    if hours_end == 0:
        raise DateParseError("invalid character in hour")
    if data[hours_end : hours_end + 1] != b":":
        raise DateParseError("invalid time separator, expected `:`")
    minute = _digits(data, hours_end + 1, 2, "minute")
    second, microsecond, position = _read_seconds(data, hours_end + 3)
    if minute > 59:
        raise DateParseError("minute value is outside expected range of 0-59")
    if second > 59:
        raise DateParseError("second value is outside expected range of 0-59")
    if position != len(data):
        raise DateParseError("unexpected extra characters at the end of the input")
    return ((int(data[:hours_end]) * 60 + minute) * 60 + second) * 1_000_000 + microsecond


def seconds_to_duration(seconds: float | int) -> datetime.timedelta:
    """A number of seconds as a timedelta (pydantic's reading of a number)."""
    if seconds != seconds:
        raise DateParseError("NaN values not permitted")
    if abs(seconds) > LARGEST_DURATION_DAYS * 86_400:
        raise DateParseError("durations may not exceed 999,999,999 days")
    return datetime.timedelta(seconds=seconds)


def maybe_timestamp(text: str) -> float | int | None:
    """The number in `text` if it is written as a Unix timestamp, else None."""
    if TIMESTAMP_PATTERN.fullmatch(text):
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    return None


def timestamp_to_datetime(timestamp: float | int) -> datetime.datetime:
    """A Unix timestamp (seconds, or milliseconds past 2e10) as an aware UTC datetime."""
    original = timestamp
    if abs(timestamp) > MILLISECONDS_THRESHOLD:
        timestamp = timestamp / 1000
    if timestamp > LATEST_TIMESTAMP:
        raise DateParseError("dates after 9999 are not supported as unix timestamps")
    if timestamp < EARLIEST_TIMESTAMP:
        raise DateParseError("dates before 0000 are not supported as unix timestamps")
    if isinstance(original, int) and abs(original) > MILLISECONDS_THRESHOLD:
        whole, milliseconds = divmod(original, 1000)  # exact: no float rounding on the way
        microseconds = milliseconds * 1000
    else:
        whole = int(timestamp // 1)
        microseconds = math.floor((timestamp - whole) * 1_000_000 + 0.5)  # half up
    return EPOCH + datetime.timedelta(seconds=whole, microseconds=microseconds)
