"""Properties: values survive the database unchanged; hostile strings stay data.

hypothesis draws values of every supported column type; each must come back
from an insert and a select equal to what went in, on SQLite and PostgreSQL.

Limits of the strategies, each one the database's own rule:
- text has no NUL character (PostgreSQL refuses U+0000 in text and jsonb)
  and no lone surrogates (not encodable as UTF-8);
- floats are not NaN (SQLite stores NaN as NULL);
- JSON documents hold no floats (jsonb rewrites number formatting);
- naive datetimes in `moment`, aware ones in the timezone=True column.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniorm import delete, escape_like, select, update

from .models import Color, Everything, User

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**62), 2**62) | TEXT
JSON = st.recursive(JSON_SCALARS, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(TEXT, children, max_size=4), max_leaves=10)
DECIMALS = st.one_of(*(st.decimals(min_value=-(10**15), max_value=10**15, places=places,
                                   allow_nan=False, allow_infinity=False)
                       for places in (0, 2, 6)))
OFFSETS = st.sampled_from([datetime.UTC, datetime.timezone(datetime.timedelta(hours=5)),
                           datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))])

VALUES = {
    "integer": st.integers(-(2**63), 2**63 - 1),
    "real": st.floats(allow_nan=False),
    "text": TEXT,
    "flag": st.booleans(),
    "blob": st.binary(),
    "moment": st.datetimes(),
    "aware_moment": st.datetimes(timezones=OFFSETS),
    "day": st.dates(),
    "amount": DECIMALS,
    "token": st.uuids(),
    "document": st.dictionaries(TEXT, JSON, max_size=5),
    "items": st.lists(JSON, max_size=5),
    "color": st.sampled_from(Color),
}
ROWS = st.fixed_dictionaries({name: st.none() | strategy for name, strategy in VALUES.items()})

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(values=ROWS)
def test_every_supported_type_round_trips_through_insert_and_select(db, values):
    with db.session() as session:
        row = Everything(**values)
        session.add(row)
        session.commit()
        key = row.id
    with db.session() as session:
        loaded = session.get(Everything, key)
        assert loaded.to_dict() == {"id": key, **values}
        for name, value in values.items():
            assert type(getattr(loaded, name)) is type(value), name


@SETTINGS
@given(value=VALUES["integer"], text=TEXT, day=VALUES["day"], token=VALUES["token"])
def test_values_in_where_clauses_are_converted_like_stored_ones(db, value, text, day, token):
    with db.session() as session:
        session.exec(delete(Everything))
        session.add(Everything(integer=value, text=text, day=day, token=token))
        session.commit()
        query = select(Everything.id).where(
            Everything.integer == value, Everything.text == text, Everything.day == day,
            Everything.token == token)
        assert len(session.exec(query).all()) == 1


CLASSIC_INJECTIONS = [
    "'; DROP TABLE \"user\"; --",
    "\" OR 1=1 --",
    "x' OR '1'='1",
    "%s %s %(name)s ?",
    "\\'; SELECT pg_sleep(0); --",
    "1; DELETE FROM \"user\"",
    "Robert'); DROP TABLE students;--",
]


@SETTINGS
@given(attack=st.sampled_from(CLASSIC_INJECTIONS) | TEXT)
def test_injection_strings_in_every_value_position_come_back_as_data(db, attack):
    with db.session() as session:
        session.exec(delete(User))
        session.add(User(email=attack, name=attack, password_hash=attack))
        session.commit()
        found = session.exec(select(User).where(
            User.email == attack, User.name.in_([attack]),
            User.password_hash.like(escape_like(attack)) | (User.password_hash != attack),
        )).all()
        assert [(user.email, user.name) for user in found] == [(attack, attack)]
        session.exec(update(User).where(User.email == attack).values(name=attack + "!"))
        session.commit()
        assert session.exec(select(User.name).where(User.email == attack)).one() == attack + "!"
        matching = select(User.email).where(User.email.ilike(escape_like(attack)))
        assert session.exec(matching).all() == [attack]
        assert session.exec(select(User.email)).all() == [attack]  # the table survived


def test_a_like_pattern_with_an_escaped_wildcard_matches_literally(db):
    with db.session() as session:
        session.add_all([User(email="100%"), User(email="1000")])
        session.commit()
        assert session.exec(select(User.email).where(User.email.like("100\\%"))).all() == ["100%"]
        assert session.exec(select(User.email).where(
            User.email.like(escape_like("100%")))).all() == ["100%"]


@pytest.mark.parametrize("attack", CLASSIC_INJECTIONS)
def test_an_injection_string_as_a_sort_field_is_refused_before_any_sql(attack):
    from miniorm.errors import QueryError

    with pytest.raises(QueryError, match="has no column"):
        select(User).order_by(attack)
