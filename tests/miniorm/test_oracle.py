"""SQLAlchemy Core as the oracle: random conditions select the same rows in both ORMs.

hypothesis builds a condition tree once as plain data, then writes it twice:
with miniorm's operators (run on SQLite and PostgreSQL through the `db`
fixture) and with SQLAlchemy Core's (run on its own SQLite database holding
the same rows). NULLs are in the data, so SQL's three-valued logic (a
comparison with NULL is neither true nor false, and NOT keeps it unknown) is
exercised, not assumed.
"""

from __future__ import annotations

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniorm import and_, or_, select

from .models import User

ROWS = [
    {"email": f"user{index}@x.org", "name": name, "age": age}
    for index, (name, age) in enumerate([
        ("ann", 17), ("bob", 30), ("cy", None), ("di", 45), ("ed", 30), ("", 0),
        ("ann", None), ("zoe", -5), ("Bob", 99), ("o'neil", 30), ("50%", 12), ("a_b", None),
    ])
]

COLUMNS = ("name", "age")
VALUES = {"name": st.sampled_from(["ann", "bob", "Bob", "", "zz", "o'neil"]),
          "age": st.integers(-10, 100)}
# Text is compared for equality only: its order is the database's collation
# (PostgreSQL's may be en_US while SQLite compares bytes), not miniorm's business.
COMPARISONS = {"name": ["==", "!="], "age": ["==", "!=", "<", "<=", ">", ">="]}
PATTERNS = st.sampled_from(["a%", "%b", "_", "%", "B%", "%o%", "a\\_b", "50\\%"])


def leaves():
    column = st.sampled_from(COLUMNS)
    return st.one_of(
        column.flatmap(lambda c: st.tuples(st.just("compare"), st.just(c),
                                           st.sampled_from(COMPARISONS[c]), VALUES[c])),
        column.flatmap(lambda c: st.tuples(st.just("in"), st.just(c),
                                           st.lists(VALUES[c], max_size=3))),
        st.tuples(st.just("between"), st.just("age"), VALUES["age"], VALUES["age"]),
        st.tuples(st.just("null"), column, st.booleans()),
        st.tuples(st.just("like"), st.just("name"), PATTERNS),
    )


TREES = st.recursive(leaves(), lambda children: st.one_of(
    st.tuples(st.just("and"), st.lists(children, min_size=2, max_size=3)),
    st.tuples(st.just("or"), st.lists(children, min_size=2, max_size=3)),
    st.tuples(st.just("not"), children),
), max_leaves=8)

OPERATORS = {"==": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__",
             ">=": "__ge__"}


def write(tree, column_of, and_function, or_function, not_function):
    kind = tree[0]
    if kind == "compare":
        return getattr(column_of(tree[1]), OPERATORS[tree[2]])(tree[3])
    if kind == "in":
        return column_of(tree[1]).in_(tree[2])
    if kind == "between":
        return column_of(tree[1]).between(tree[2], tree[3])
    if kind == "null":
        return column_of(tree[1]).is_(None) if tree[2] else column_of(tree[1]).is_not(None)
    if kind == "like":
        return column_of(tree[1]).like(tree[2], escape="\\") if and_function is sqlalchemy.and_ \
            else column_of(tree[1]).like(tree[2])
    parts = [write(child, column_of, and_function, or_function, not_function)
             for child in (tree[1] if kind in ("and", "or") else [tree[1]])]
    if kind == "and":
        return and_function(*parts)
    if kind == "or":
        return or_function(*parts)
    return not_function(parts[0])


@pytest.fixture(scope="module")
def oracle():
    engine = sqlalchemy.create_engine("sqlite://")

    @sqlalchemy.event.listens_for(engine, "connect")
    def case_sensitive_like(connection, record):
        connection.execute("PRAGMA case_sensitive_like = ON")

    metadata = sqlalchemy.MetaData()
    table = sqlalchemy.Table(
        "people", metadata,
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("email", sqlalchemy.String), sqlalchemy.Column("name", sqlalchemy.String),
        sqlalchemy.Column("age", sqlalchemy.Integer),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"id": i + 1, **row} for i, row in enumerate(ROWS)])
    yield engine, table
    engine.dispose()


@pytest.fixture
def people(db):
    with db.session() as session:
        session.add_all([User(**row) for row in ROWS])
        session.commit()
    return db


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=TREES)
def test_a_random_condition_selects_the_rows_sqlalchemy_selects(people, oracle, tree):
    engine, table = oracle
    expected_query = sqlalchemy.select(table.c.email).where(
        write(tree, lambda name: table.c[name], sqlalchemy.and_, sqlalchemy.or_,
              sqlalchemy.not_))
    with engine.connect() as connection:
        expected = sorted(connection.execute(expected_query).scalars())
    ours = select(User.email).where(
        write(tree, lambda name: getattr(User, name), and_, or_, lambda part: ~part))
    with people.session() as session:
        assert sorted(session.exec(ours).all()) == expected
