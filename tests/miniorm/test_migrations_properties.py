"""The law of autogenerate, stated for random schemas (hypothesis):

    applying compare(current, target) to `current` gives `target`,
    after which compare finds nothing left to do.

Checked twice: on the simulation (each Operation's `apply()`, pure and fast), and
for real on SQLite and PostgreSQL (the operations' SQL, then introspection).
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniorm import Database
from miniorm.dialects import PostgresDialect, SqliteDialect
from miniorm.migrations import inspect_schema
from miniorm.migrations.autogenerate import compare
from miniorm.migrations.runner import OnlineMigration
from miniorm.migrations.schema import (
    ColumnSpec,
    ForeignKeySpec,
    IndexSpec,
    TableSpec,
    UniqueSpec,
)

from .test_migrations_helpers import comparable

# PostgreSQL changes a type with `USING column::new_type`; bigint has no cast to boolean
# and a date none to a number, so the PostgreSQL run draws types that all convert.
ANY_TYPES = ["int", "str", "str(20)", "bool", "float", "datetime", "date"]
CONVERTIBLE_TYPES = ["int", "str", "str(20)", "float"]


@st.composite
def tables(draw, name: str, types: list[str], parent: bool) -> TableSpec:
    columns = [ColumnSpec("id", "int", nullable=False, primary_key=True, autoincrement=True)]
    indexes, uniques, foreign_keys = [], [], []
    for column in draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True)):
        columns.append(ColumnSpec(column, draw(st.sampled_from(types)), draw(st.booleans())))
        if draw(st.booleans()):
            indexes.append(IndexSpec(f"ix_{name}_{column}", (column,)))
        elif draw(st.booleans()):
            uniques.append(UniqueSpec(f"{name}_{column}_key", (column,)))
    if parent and draw(st.booleans()):
        columns.append(ColumnSpec("parent_id", "int"))
        foreign_keys.append(ForeignKeySpec(f"{name}_parent_id_fkey", ("parent_id",), "parent",
                                           ("id",), draw(st.sampled_from([None, "CASCADE"]))))
    return TableSpec(name, columns, indexes, uniques, foreign_keys)


@st.composite
def schemas(draw, types: list[str]) -> dict:
    schema = {}
    if draw(st.booleans()):
        schema["parent"] = draw(tables("parent", types, parent=False))
    if draw(st.booleans()):
        schema["child"] = draw(tables("child", types, parent="parent" in schema))
    return schema


@pytest.mark.parametrize("dialect", [SqliteDialect(), PostgresDialect()], ids=["sqlite", "pg"])
@settings(max_examples=150, deadline=None)
@given(current=schemas(ANY_TYPES), target=schemas(ANY_TYPES))
def test_applying_the_comparison_to_the_simulation_reaches_the_target(dialect, current, target):
    after = copy.deepcopy(current)
    operations, _ = compare(current, target, dialect, {})
    for operation in operations:
        operation.statements(dialect, lambda name: copy.deepcopy(after[name]))  # never raises
        operation.apply(after)
    assert comparable(after, dialect, False) == comparable(target, dialect, False)
    assert compare(after, target, dialect, {})[0] == []


def apply_online(connection, dialect, operations) -> None:
    """Run operations in one transaction, as the runner runs a revision."""
    migration = OnlineMigration(connection, dialect)
    sqlite = dialect.name == "sqlite"
    if sqlite:
        connection.execute("PRAGMA foreign_keys = OFF", [])
    connection.execute("BEGIN", [])
    try:
        for operation in operations:
            migration.run_operation(operation)
    except BaseException:
        connection.execute("ROLLBACK", [])
        raise
    finally:
        if sqlite:
            connection.execute("PRAGMA foreign_keys = ON", [])
    connection.execute("COMMIT", [])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_applying_the_comparison_to_a_real_database_leaves_no_difference(database_url, backend,
                                                                       data):
    types = ANY_TYPES if backend == "sqlite" else CONVERTIBLE_TYPES
    current, target = data.draw(schemas(types)), data.draw(schemas(types))
    database = Database(database_url)
    try:
        with database.pool.connection() as connection:
            dialect = database.dialect
            for name in ("child", "parent"):  # what the previous example left
                connection.execute(f'DROP TABLE IF EXISTS "{name}"', [])
            apply_online(connection, dialect, compare({}, current, dialect, {})[0])
            assert compare(inspect_schema(connection, dialect), current, dialect, {})[0] == []
            live = inspect_schema(connection, dialect)
            apply_online(connection, dialect, compare(live, target, dialect, {})[0])
            reached = inspect_schema(connection, dialect)
            assert compare(reached, target, dialect, {})[0] == []
            assert comparable(reached, dialect, False) == comparable(target, dialect, False)
    finally:
        database.dispose()
