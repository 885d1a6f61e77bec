"""The compiler is pure: a query object in, `(sql, params)` out, checked with plain calls.

Each case lists the query, the SQL expected for SQLite and its parameters; the
PostgreSQL text is the same with numbered `$1, $2` placeholders unless a case says otherwise.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from miniorm import and_, compile, delete, func, insert, or_, select, update
from miniorm.dialects import PostgresDialect, SqliteDialect, quote_identifier
from miniorm.errors import QueryError

from .models import Color, Everything, Tag, Todo, User

SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def numbered(sql: str) -> str:
    """The SQLite text with PostgreSQL's placeholders: each ? becomes $1, $2, ... in turn."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))

U = '"user"'
USER_COLUMNS = ", ".join(
    f'{U}."{name}"' for name in ("id", "email", "name", "age", "password_hash", "created_at")
)

SELECT_CASES = [
    ("select of a model lists its columns, qualified and quoted",
     select(User), f"SELECT {USER_COLUMNS} FROM {U}", []),
    ("equality becomes a parameter",
     select(User.id).where(User.email == "a@b.c"),
     f'SELECT {U}."id" FROM {U} WHERE {U}."email" = ?', ["a@b.c"]),
    ("several where arguments are joined with AND",
     select(User.id).where(User.email == "x", User.age >= 18),
     f'SELECT {U}."id" FROM {U} WHERE {U}."email" = ? AND {U}."age" >= ?', ["x", 18]),
    ("& | ~ build AND, OR and NOT with parentheses",
     select(User.id).where((User.age < 3) | ~(User.name != "n") & (User.age > 1)),
     f'SELECT {U}."id" FROM {U} WHERE ({U}."age" < ? OR (NOT ({U}."name" <> ?) AND '
     f'{U}."age" > ?))', [3, "n", 1]),
    ("and_ and or_ are the function forms",
     select(User.id).where(or_(and_(User.age <= 1, User.age > 0), User.id == 5)),
     f'SELECT {U}."id" FROM {U} WHERE (({U}."age" <= ? AND {U}."age" > ?) OR {U}."id" = ?)',
     [1, 0, 5]),
    ("== None is IS NULL and != None is IS NOT NULL",
     select(User.id).where(User.age == None, User.name != None),  # noqa: E711
     f'SELECT {U}."id" FROM {U} WHERE {U}."age" IS NULL AND {U}."name" IS NOT NULL', []),
    ("is_ and is_not compare with NULL",
     select(User.id).where(User.age.is_(None) | User.age.is_not(None)),
     f'SELECT {U}."id" FROM {U} WHERE ({U}."age" IS NULL OR {U}."age" IS NOT NULL)', []),
    ("in_ sends one parameter per value",
     select(User.id).where(User.id.in_([1, 2, 3])),
     f'SELECT {U}."id" FROM {U} WHERE {U}."id" IN (?, ?, ?)', [1, 2, 3]),
    ("an empty in_ matches nothing instead of being a syntax error",
     select(User.id).where(User.id.in_([])), f'SELECT {U}."id" FROM {U} WHERE 1 = 0', []),
    ("not_in of an empty list matches everything",
     select(User.id).where(User.id.not_in([])), f'SELECT {U}."id" FROM {U} WHERE 1 = 1', []),
    ("like escapes with backslash on both databases",
     select(User.id).where(User.email.like("%@x.org")),
     f"SELECT {U}.\"id\" FROM {U} WHERE {U}.\"email\" LIKE ? ESCAPE '\\'", ["%@x.org"]),
    ("between takes two parameters",
     select(User.id).where(User.age.between(18, 65)),
     f'SELECT {U}."id" FROM {U} WHERE {U}."age" BETWEEN ? AND ?', [18, 65]),
    ("order_by with desc, limit and offset as parameters",
     select(User.id).order_by(User.created_at.desc(), User.id).limit(10).offset(20),
     f'SELECT {U}."id" FROM {U} ORDER BY {U}."created_at" DESC, {U}."id" ASC LIMIT ? OFFSET ?',
     [10, 20]),
    ("order_by a field name from user input, '-' for descending",
     select(User.id).order_by("-age", "name"),
     f'SELECT {U}."id" FROM {U} ORDER BY {U}."age" DESC, {U}."name" ASC', []),
    ("func.count() is count(*) and select_from names the table",
     select(func.count()).select_from(User), f"SELECT count(*) FROM {U}", []),
    ("functions take columns and values",
     select(func.lower(User.email)).where(func.length(User.name) > 3),
     f'SELECT lower({U}."email") FROM {U} WHERE length({U}."name") > ?', [3]),
    ("join finds the foreign key between the tables",
     select(Todo.title).join(User).where(User.email == "e"),
     'SELECT "todo"."title" FROM "todo" JOIN "user" ON "todo"."owner_id" = "user"."id" '
     'WHERE "user"."email" = ?', ["e"]),
    ("an outer join with group_by",
     select(User.email, func.count(Todo.id)).join(Todo, isouter=True).group_by(User.email),
     f'SELECT {U}."email", count("todo"."id") FROM {U} LEFT OUTER JOIN "todo" ON '
     f'"todo"."owner_id" = {U}."id" GROUP BY {U}."email"', []),
    ("a table name set with __tablename__ is used",
     select(Tag.code).where(Tag.label == "l"),
     'SELECT "tags"."code" FROM "tags" WHERE "tags"."label" = ?', ["l"]),
]


@pytest.mark.parametrize(("title", "query", "sql", "params"), SELECT_CASES,
                         ids=[case[0] for case in SELECT_CASES])
def test_select_compiles_to_the_expected_sql_and_parameters(title, query, sql, params):
    assert compile(query, SQLITE) == (sql, params)
    assert compile(query, POSTGRES) == (numbered(sql), params)


# -- INSERT, UPDATE, DELETE ---------------------------------------------------

WRITE_CASES = [
    ("insert of one row fills field defaults and returns the key",
     insert(Tag).values(code="py").returning(Tag.code),
     'INSERT INTO "tags" ("code", "label") VALUES (?, ?) RETURNING "code"', ["py", ""]),
    ("insert of several rows writes one VALUES group per row",
     insert(Todo).values([{"title": "a", "owner_id": 1}, {"title": "b", "owner_id": 2}]),
     'INSERT INTO "todo" ("title", "owner_id", "done") VALUES (?, ?, ?), (?, ?, ?)',
     ["a", 1, False, "b", 2, False]),
    ("insert with no values uses DEFAULT VALUES",
     insert(Everything), 'INSERT INTO "everything" DEFAULT VALUES', []),
    ("update sets parameters and filters with where",
     update(User).where(User.id == 3).values(name="n", age=4),
     'UPDATE "user" SET "name" = ?, "age" = ? WHERE "user"."id" = ?', ["n", 4, 3]),
    ("update with arithmetic on the column's own value",
     update(User).where(User.id == 1).values(age=User.age + 1),
     'UPDATE "user" SET "age" = ("user"."age" + ?) WHERE "user"."id" = ?', [1, 1]),
    ("update without where updates every row",
     update(Todo).values(done=False), 'UPDATE "todo" SET "done" = ?', [False]),
    ("delete with a condition",
     delete(Todo).where(Todo.done == True),  # noqa: E712
     'DELETE FROM "todo" WHERE "todo"."done" = ?', [True]),
]


@pytest.mark.parametrize(("title", "query", "sql", "params"), WRITE_CASES,
                         ids=[case[0] for case in WRITE_CASES])
def test_writes_compile_to_the_expected_sql_and_parameters(title, query, sql, params):
    sqlite_params = [int(p) if isinstance(p, bool) else p for p in params]
    assert compile(query, SQLITE) == (sql, sqlite_params)
    assert compile(query, POSTGRES) == (numbered(sql), params)


# -- where the dialects differ -------------------------------------------------

def test_ilike_is_ilike_on_postgresql_and_lower_like_on_sqlite():
    query = select(User.id).where(User.email.ilike("%A%"))
    assert compile(query, POSTGRES)[0].endswith("\"user\".\"email\" ILIKE $1 ESCAPE '\\'")
    assert compile(query, SQLITE)[0].endswith(
        "lower(\"user\".\"email\") LIKE lower(?) ESCAPE '\\'")


def test_offset_without_limit_gets_limit_minus_one_on_sqlite_only():
    query = select(User.id).offset(5)
    assert compile(query, SQLITE) == (f'SELECT {U}."id" FROM {U} LIMIT -1 OFFSET ?', [5])
    assert compile(query, POSTGRES) == (f'SELECT {U}."id" FROM {U} OFFSET $1', [5])


def test_parameters_are_converted_for_the_column_type_by_each_dialect():
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    token = uuid.UUID("12345678-1234-5678-1234-567812345678")
    query = select(Everything.id).where(
        Everything.moment == moment, Everything.token == token,
        Everything.amount == decimal.Decimal("1.50"), Everything.flag == True,  # noqa: E712
        Everything.color == Color.GREEN, Everything.document == {"a": 1},
    )
    _, sqlite_params = compile(query, SQLITE)
    assert sqlite_params == ["2024-05-06T07:08:09.123456", str(token), "1.50", 1, "green",
                             '{"a":1}']
    _, postgres_params = compile(query, POSTGRES)
    assert postgres_params[:5] == [moment, token, decimal.Decimal("1.50"), True, "green"]
    assert isinstance(postgres_params[5], Jsonb) and postgres_params[5].obj == {"a": 1}


# -- quoting and injection -------------------------------------------------------

@pytest.mark.parametrize(("name", "quoted"), [
    ("user", '"user"'), ('we"ird', '"we""ird"'), ("a b", '"a b"'), ("order", '"order"'),
])
def test_identifiers_are_quoted_and_inner_quotes_doubled(name, quoted):
    assert quote_identifier(name) == quoted


def test_an_injection_string_in_a_value_stays_a_parameter():
    attack = "x'; DROP TABLE \"user\"; --"
    sql, params = compile(select(User.id).where(User.name == attack), SQLITE)
    assert attack not in sql and params == [attack]


# -- bad input gets a clear error ------------------------------------------------

def test_order_by_an_unknown_field_name_is_refused_with_the_real_columns():
    with pytest.raises(QueryError, match=r"no column 'password; DROP'.*choose one of id, email"):
        select(User).order_by("password; DROP")


def test_values_with_an_unknown_field_is_refused():
    with pytest.raises(QueryError, match="has no column 'nope'"):
        update(User).values(nope=1)


@pytest.mark.parametrize("bad", [-1, "10", 1.5, True, None])
def test_limit_and_offset_take_only_non_negative_ints(bad):
    with pytest.raises(QueryError, match="non-negative int"):
        select(User).limit(bad)
    with pytest.raises(QueryError, match="non-negative int"):
        select(User).offset(bad)


def test_python_and_or_not_on_conditions_are_refused_with_the_operator_to_use():
    with pytest.raises(QueryError, match="no truth value"):
        select(User).where((User.age > 1) and (User.age < 5))


def test_a_join_with_no_foreign_key_asks_for_on():
    with pytest.raises(QueryError, match="no foreign key joins Tag"):
        select(User).join(Tag)


def test_update_with_nothing_to_set_is_refused():
    with pytest.raises(QueryError, match="nothing to set"):
        compile(update(User).where(User.id == 1), SQLITE)


def test_a_function_name_must_be_an_identifier():
    with pytest.raises(AttributeError):
        getattr(func, "count(*); DROP")


def test_compiling_something_that_is_not_a_query_says_what_to_pass():
    with pytest.raises(QueryError, match="pass select"):
        compile("SELECT 1", SQLITE)


def test_builders_are_generative_so_a_base_query_is_not_changed():
    base = select(User.id)
    refined = base.where(User.age > 1).limit(3)
    assert compile(base, SQLITE) == (f'SELECT {U}."id" FROM {U}', [])
    assert compile(refined, SQLITE)[1] == [1, 3]


# -- a law for every condition ---------------------------------------------------------

LEAVES = st.one_of(
    st.builds(lambda v: User.age == v, st.integers()),
    st.builds(lambda v: User.name != v, st.text()),
    st.builds(lambda vs: User.id.in_(vs), st.lists(st.integers(), max_size=4)),
    st.builds(lambda p: User.email.like(p), st.text()),
    st.builds(lambda a, b: User.age.between(a, b), st.integers(), st.integers()),
    st.just(User.age.is_(None)),
    st.builds(lambda v: (User.age * 2) > v, st.integers()),
)
CONDITIONS = st.recursive(LEAVES, lambda children: st.one_of(
    st.builds(lambda a, b: a & b, children, children),
    st.builds(lambda a, b: a | b, children, children),
    st.builds(lambda a: ~a, children),
), max_leaves=12)


@given(condition=CONDITIONS)
def test_any_condition_has_one_placeholder_per_parameter_and_balanced_parentheses(condition):
    for dialect in (SQLITE, POSTGRES):
        sql, params = compile(select(User.id).where(condition), dialect)
        where = sql.partition(" WHERE ")[2]
        if dialect is SQLITE:
            assert where.count("?") == len(params)
        else:
            assert [f"${n}" in where for n in range(1, len(params) + 1)] == [True] * len(params)
            assert f"${len(params) + 1}" not in where
        assert where.count("(") == where.count(")")
