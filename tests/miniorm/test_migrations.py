"""miniorm.migrations: the revision chain, the runner, and every operation, on both databases.

Database tests run on SQLite and on PostgreSQL (a fresh schema per test, from
tests/miniorm/conftest.py's `database_url`). The recurring check is that the
database after each revision is exactly the schema that the operations'
simulation (`apply()`, what offline mode relies on) predicts.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from miniorm import Database
from miniorm.migrations import MigrationError, Migrator, ScriptDirectory, inspect_schema
from miniorm.migrations import operations as op
from miniorm.migrations.runner import offline_sql, plan, run_offline
from miniorm.migrations.schema import VERSION_TABLE

from .test_migrations_helpers import comparable, write_revision

CREATE_TABLES = """
op.create_table(
    "author",
    op.column("id", "int", primary_key=True, autoincrement=True),
    op.column("email", "str(100)", nullable=False),
    op.unique("author_email_key", ["email"]),
)
op.create_table(
    "book",
    op.column("id", "int", primary_key=True, autoincrement=True),
    op.column("author_id", "int"),
    op.column("title", "str"),
    op.column("code", "str"),
)
op.create_index("ix_book_title", "book", ["title"])
"""

ALTER_EVERYTHING = """
op.create_foreign_key("book_author_id_fkey", "book", ["author_id"], "author", ["id"],
                      on_delete="CASCADE")
op.create_unique_constraint("book_code_key", "book", ["code"])
op.add_column("book", op.column("pages", "int", nullable=False, server_default="0"))
op.alter_column("book", "title", nullable=False)
op.alter_column("book", "code", type="str(40)")
op.alter_column("book", "pages", new_name="page_count")
op.drop_index("ix_book_title", "book")
op.create_index("ix_book_title_pages", "book", ["title", "page_count"], unique=True)
op.drop_constraint("book_code_key", "book")
op.drop_column("book", "code")
op.alter_column("book", "page_count", server_default=None)
op.rename_table("author", "writer")
"""


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def connection(database):
    with database.pool.connection() as connection:
        yield connection


def make_migrator(connection, database, directory) -> Migrator:
    return Migrator(connection, database.dialect, ScriptDirectory(directory))


def live(connection, database):
    return comparable(inspect_schema(connection, database.dialect), database.dialect)


def simulated(directory, database, upto: str):
    """The schema the chain's operations predict at revision `upto`."""
    scripts = ScriptDirectory(directory)
    schema: dict = {}
    for step in plan(scripts.chain(), None, upto, "upgrade", scripts):
        run_offline(step, database.dialect, schema, None)
    return comparable(schema, database.dialect)


def two_revision_folder(tmp_path):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES,
                   'op.drop_table("book")\nop.drop_table("author")', message="tables")
    write_revision(tmp_path, "bbb222", "aaa111", ALTER_EVERYTHING, """
        op.rename_table("writer", "author")
        op.drop_constraint("book_author_id_fkey", "book")
        op.drop_index("ix_book_title_pages", "book")
        op.add_column("book", op.column("code", "str"))
        op.alter_column("book", "page_count", new_name="pages")
        op.alter_column("book", "title", nullable=True)
        op.drop_column("book", "pages")
        op.create_index("ix_book_title", "book", ["title"])
    """, message="everything else")
    return tmp_path


# -- script.py: the chain ---------------------------------------------------------------

def test_revisions_are_ordered_by_down_revision_not_by_file_name(tmp_path):
    write_revision(tmp_path, "c3", "b2", file_name="a_last")
    write_revision(tmp_path, "a1", None, file_name="z_first")
    write_revision(tmp_path, "b2", "a1", file_name="m_middle")
    scripts = ScriptDirectory(tmp_path)
    assert [revision.revision for revision in scripts.chain()] == ["a1", "b2", "c3"]
    assert scripts.heads() == ["c3"]


def test_two_heads_are_refused_naming_both_files(tmp_path):
    write_revision(tmp_path, "a1", None)
    write_revision(tmp_path, "b2", "a1", file_name="b2_from_alice")
    write_revision(tmp_path, "c3", "a1", file_name="c3_from_bob")
    scripts = ScriptDirectory(tmp_path)
    assert scripts.heads() == ["b2", "c3"]
    with pytest.raises(MigrationError, match="2 heads") as caught:
        scripts.chain()
    assert "b2_from_alice.py" in str(caught.value) and "c3_from_bob.py" in str(caught.value)
    assert "down_revision" in str(caught.value)


def test_a_down_revision_naming_no_file_is_refused(tmp_path):
    write_revision(tmp_path, "a1", None)
    write_revision(tmp_path, "c3", "b2")
    with pytest.raises(MigrationError, match="follows b2, which is not in"):
        ScriptDirectory(tmp_path).chain()


def test_two_files_with_one_id_are_refused(tmp_path):
    write_revision(tmp_path, "a1", None, file_name="one")
    write_revision(tmp_path, "a1", None, file_name="two")
    with pytest.raises(MigrationError, match="two revision files have the id 'a1'"):
        ScriptDirectory(tmp_path).chain()


def test_two_first_revisions_are_refused(tmp_path):
    write_revision(tmp_path, "a1", None)
    write_revision(tmp_path, "b1", None)
    write_revision(tmp_path, "c2", "a1")
    write_revision(tmp_path, "c3", "b1")
    with pytest.raises(MigrationError, match="heads"):
        ScriptDirectory(tmp_path).chain()


def test_a_folder_without_versions_is_refused_with_the_init_command(tmp_path):
    with pytest.raises(MigrationError, match="init --models"):
        ScriptDirectory(tmp_path / "nowhere")


def test_an_id_prefix_resolves_when_unique_and_is_refused_when_ambiguous(tmp_path):
    write_revision(tmp_path, "abc123", None)
    write_revision(tmp_path, "abd456", "abc123")
    scripts = ScriptDirectory(tmp_path)
    assert scripts.resolve("abd") == "abd456"
    with pytest.raises(MigrationError, match="start of several ids"):
        scripts.resolve("ab")
    with pytest.raises(MigrationError, match="no revision 'zz'"):
        scripts.resolve("zz")


def test_write_revision_follows_the_head_and_loads_back(tmp_path):
    write_revision(tmp_path, "a1", None)
    scripts = ScriptDirectory(tmp_path)
    path = scripts.write_revision("Add a column!", "    op.execute('SELECT 1')")
    assert path.name.endswith("_add_a_column.py")
    new = ScriptDirectory(tmp_path).chain()[-1]
    assert new.down_revision == "a1" and new.message == "Add a column!"
    assert len(new.revision) == 12


def test_an_operation_outside_a_migration_says_where_it_belongs():
    with pytest.raises(MigrationError, match="outside a migration.*upgrade"):
        op.drop_table("anything")


# -- runner.py on both databases ----------------------------------------------------------

def table_names(connection, database) -> list[str]:
    rows, _ = connection.execute(database.dialect.table_names_sql, [])
    return sorted(row[0] for row in rows)


def test_upgrade_from_empty_to_head_and_down_to_base_leaves_an_empty_schema(
        tmp_path, database, connection):
    folder = two_revision_folder(tmp_path)
    migrator = make_migrator(connection, database, folder)
    assert migrator.current() is None
    steps = migrator.upgrade("head")
    assert [(revision.revision, direction) for revision, direction in steps] == [
        ("aaa111", "upgrade"), ("bbb222", "upgrade")]
    assert migrator.current() == "bbb222"
    assert table_names(connection, database) == ["book", VERSION_TABLE, "writer"]
    migrator.downgrade("base")
    assert migrator.current() is None
    # Only the (empty) version table stays: it remembers that the database is at base.
    assert table_names(connection, database) == [VERSION_TABLE]
    rows, _ = connection.execute(f"SELECT * FROM {VERSION_TABLE}", [])
    assert rows == []


def test_each_revision_leaves_the_schema_its_operations_predict(tmp_path, database, connection):
    folder = two_revision_folder(tmp_path)
    migrator = make_migrator(connection, database, folder)
    migrator.upgrade("aaa111")
    assert live(connection, database) == simulated(folder, database, "aaa111")
    migrator.upgrade("head")
    after = live(connection, database)
    assert after == simulated(folder, database, "bbb222")
    book = after["book"]
    assert [column[0] for column in book["columns"]] == ["id", "author_id", "title", "page_count"]
    assert book["indexes"] == [("ix_book_title_pages", ("title", "page_count"), True)]
    assert book["foreign_keys"] == [(("author_id",), "writer", ("id",), "CASCADE")]
    assert "writer" in after and "author" not in after
    assert book["uniques"] == []
    migrator.downgrade("-1")
    assert live(connection, database) == simulated(folder, database, "aaa111")


def test_relative_targets_move_one_revision_at_a_time(tmp_path, database, connection):
    folder = two_revision_folder(tmp_path)
    migrator = make_migrator(connection, database, folder)
    migrator.upgrade("+1")
    assert migrator.current() == "aaa111"
    migrator.upgrade("+1")
    assert migrator.current() == "bbb222"
    with pytest.raises(MigrationError, match=r"\+1 from position 2 of 2 leaves the chain"):
        migrator.upgrade("+1")
    migrator.downgrade("-2")
    assert migrator.current() is None
    assert migrator.upgrade("aaa") and migrator.current() == "aaa111"
    with pytest.raises(MigrationError, match="use downgrade"):
        migrator.upgrade("base")
    with pytest.raises(MigrationError, match="use upgrade"):
        migrator.downgrade("head")


def test_a_database_at_a_revision_the_folder_does_not_know_is_refused(
        tmp_path, database, connection):
    folder = two_revision_folder(tmp_path)
    migrator = make_migrator(connection, database, folder)
    migrator.upgrade("head")
    connection.execute(f"UPDATE {VERSION_TABLE} SET version_num = 'fff999'", [])
    with pytest.raises(MigrationError, match="at revision fff999, which is not in"):
        migrator.upgrade("head")


def test_a_migration_failing_halfway_leaves_the_schema_untouched(tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES)
    write_revision(tmp_path, "bbb222", "aaa111", """
        op.create_table("review", op.column("id", "int", primary_key=True))
        op.add_column("book", op.column("rating", "int"))
        op.drop_column("book", "code")
        op.execute("INSERT INTO no_such_table VALUES (1)")
    """)
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("aaa111")
    before = inspect_schema(connection, database.dialect)
    with pytest.raises(MigrationError) as caught:
        migrator.upgrade("head")
    message = str(caught.value)
    assert "upgrade of revision bbb222" in message and "no_such_table" in message
    assert "rolled back" in message and "at revision aaa111" in message
    assert inspect_schema(connection, database.dialect) == before
    assert migrator.current() == "aaa111"


def test_data_survives_a_column_type_change(tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES + """
op.create_foreign_key("book_author_id_fkey", "book", ["author_id"], "author", ["id"],
                      on_delete="CASCADE")
""")
    write_revision(tmp_path, "bbb222", "aaa111", """
        op.alter_column("book", "code", type="int")
        op.alter_column("author", "email", type="str", nullable=True)
    """, 'op.alter_column("book", "code", type="str")')
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("aaa111")
    connection.execute("INSERT INTO author (id, email) VALUES (1, 'ada@example.com')", [])
    connection.execute("INSERT INTO book (id, author_id, title, code) VALUES "
                       "(1, 1, 'Notes', '42'), (2, 1, 'Sketches', '7')", [])
    migrator.upgrade("head")
    # On SQLite the author table was rebuilt: with foreign keys on, its DROP TABLE would
    # have cascaded to the books. They are still there, and the code is now a number.
    rows, _ = connection.execute("SELECT id, author_id, title, code FROM book ORDER BY id", [])
    assert rows == [(1, 1, "Notes", 42), (2, 1, "Sketches", 7)]
    rows, _ = connection.execute("SELECT email FROM author", [])
    assert rows == [("ada@example.com",)]
    assert live(connection, database) == simulated(tmp_path, database, "bbb222")
    migrator.downgrade("aaa111")
    rows, _ = connection.execute("SELECT code FROM book ORDER BY id", [])
    assert rows == [("42",), ("7",)]


def test_a_rename_keeps_the_data(tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES)
    write_revision(tmp_path, "bbb222", "aaa111",
                   'op.alter_column("book", "title", new_name="name", type="str(50)")',
                   'op.alter_column("book", "name", new_name="title", type="str")')
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("aaa111")
    connection.execute("INSERT INTO book (id, title) VALUES (1, 'Notes')", [])
    migrator.upgrade("head")
    rows, _ = connection.execute("SELECT name FROM book", [])
    assert rows == [("Notes",)]
    assert live(connection, database) == simulated(tmp_path, database, "bbb222")
    migrator.downgrade("base")


def test_execute_runs_a_data_migration_between_schema_steps(tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES)
    write_revision(tmp_path, "bbb222", "aaa111", """
        op.add_column("book", op.column("slug", "str"))
        op.execute("UPDATE book SET slug = lower(title)")
        op.alter_column("book", "slug", nullable=False)
    """)
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("aaa111")
    connection.execute("INSERT INTO book (id, title) VALUES (1, 'Notes')", [])
    migrator.upgrade("head")
    rows, _ = connection.execute("SELECT slug FROM book", [])
    assert rows == [("notes",)]
    assert live(connection, database)["book"]["columns"][-1][2] is False  # NOT NULL now


def test_a_foreign_key_the_rows_break_is_refused_and_rolled_back(tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES)
    write_revision(tmp_path, "bbb222", "aaa111", """
        op.create_foreign_key("book_author_id_fkey", "book", ["author_id"], "author", ["id"])
    """)
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("aaa111")
    connection.execute("INSERT INTO book (id, author_id) VALUES (1, 99)", [])
    with pytest.raises(MigrationError, match="rolled back"):
        migrator.upgrade("head")
    assert migrator.current() == "aaa111"
    assert live(connection, database)["book"]["foreign_keys"] == []


def test_stamp_records_a_revision_without_running_it(tmp_path, database, connection):
    folder = two_revision_folder(tmp_path)
    migrator = make_migrator(connection, database, folder)
    migrator.stamp("aaa111")
    assert migrator.current() == "aaa111"
    assert table_names(connection, database) == [VERSION_TABLE]


# -- offline mode: upgrade --sql ----------------------------------------------------------

def test_offline_sql_run_by_psql_gives_the_same_schema_as_online(
        tmp_path, database, connection, database_url, backend):
    folder = two_revision_folder(tmp_path)
    make_migrator(connection, database, folder).upgrade("head")
    online = live(connection, database)
    script = offline_sql(ScriptDirectory(folder), database.dialect, "head")
    assert "BEGIN;" in script and "COMMIT;" in script and "'bbb222'" in script
    if backend == "sqlite":
        replay = sqlite3.connect(":memory:")
        replay.executescript(script)
        from miniorm.drivers import SqliteConnection

        target = SqliteConnection(":memory:")
        target.raw = replay
        assert live(target, database) == online
        return
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    replay_url = fresh_schema_url(database_url)
    query = parse_qs(urlsplit(replay_url).query)
    environment = {**os.environ, "PGOPTIONS": query["options"][0]}
    base_url = replay_url.split("?")[0]
    result = subprocess.run(["psql", base_url, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"],
                            input=script, text=True, capture_output=True, env=environment,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    replayed = Database(replay_url)
    try:
        with replayed.pool.connection() as replay_connection:
            assert live(replay_connection, replayed) == online
            assert make_migrator(replay_connection, replayed, folder).current() == "bbb222"
    finally:
        replayed.dispose()


def fresh_schema_url(url: str) -> str:
    """Another empty schema on the same server (dropped with the test's by name prefix)."""
    import uuid
    from urllib.parse import quote

    import psycopg

    base = url.split("?")[0]
    schema = f"miniorm_replay_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    FRESH_SCHEMAS.append((base, schema))
    return f"{base}?options={quote(f'-csearch_path={schema}')}"


FRESH_SCHEMAS: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def drop_fresh_schemas():
    yield
    import psycopg

    while FRESH_SCHEMAS:
        base, schema = FRESH_SCHEMAS.pop()
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_offline_sql_can_start_from_a_revision_and_go_down(tmp_path, database):
    folder = two_revision_folder(tmp_path)
    scripts = ScriptDirectory(folder)
    upgrade = offline_sql(scripts, database.dialect, "head", start="aaa111")
    assert "CREATE TABLE \"author\"" not in upgrade and "'bbb222'" in upgrade
    downgrade = offline_sql(scripts, database.dialect, "base", "downgrade", start="bbb222")
    assert "DROP TABLE \"author\"" in downgrade
    assert downgrade.rstrip().endswith(("COMMIT;", "PRAGMA foreign_keys = ON;"))


def test_offline_sqlite_rebuild_uses_the_simulated_table(tmp_path):
    from miniorm.dialects import SqliteDialect

    folder = two_revision_folder(tmp_path)
    script = offline_sql(ScriptDirectory(folder), SqliteDialect(), "head")
    assert 'CREATE TABLE "_miniorm_new_book"' in script
    assert 'ALTER TABLE "_miniorm_new_book" RENAME TO "book"' in script
    replay = sqlite3.connect(":memory:")
    replay.executescript(script)
    assert replay.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall() == [("bbb222",)]


def test_two_processes_upgrading_at_once_apply_each_revision_once(tmp_path, database_url,
                                                                   backend):
    import threading

    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"  # two connections, one file
    folder = two_revision_folder(tmp_path)
    databases = [Database(database_url), Database(database_url)]
    barrier = threading.Barrier(2)
    outcomes: list = []

    def upgrade(database) -> None:
        with database.pool.connection() as connection:
            barrier.wait()
            try:
                outcomes.append(make_migrator(connection, database, folder).upgrade("head"))
            except Exception as error:  # collected: the assertion below names it
                outcomes.append(error)

    threads = [threading.Thread(target=upgrade, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
        ran = sorted(revision.revision for steps in outcomes for revision, _ in steps)
        assert ran == ["aaa111", "bbb222"]  # each once, whichever process ran it
        with databases[0].pool.connection() as connection:
            assert make_migrator(connection, databases[0], folder).current() == "bbb222"
    finally:
        for database in databases:
            database.dispose()


def test_sqlite_adds_a_not_null_column_without_default_to_an_empty_table(
        tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES)
    write_revision(tmp_path, "bbb222", "aaa111",
                   'op.add_column("book", op.column("isbn", "str", nullable=False))')
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("head")
    assert live(connection, database)["book"]["columns"][-1] == ("isbn", "TEXT", False, False)


def test_adding_a_not_null_column_without_default_to_rows_fails_on_both(
        tmp_path, database, connection):
    write_revision(tmp_path, "aaa111", None, CREATE_TABLES)
    write_revision(tmp_path, "bbb222", "aaa111",
                   'op.add_column("book", op.column("isbn", "str", nullable=False))')
    migrator = make_migrator(connection, database, tmp_path)
    migrator.upgrade("aaa111")
    connection.execute("INSERT INTO book (id, title) VALUES (1, 'Notes')", [])
    with pytest.raises(MigrationError, match="add_column.*rolled back"):
        migrator.upgrade("head")
    assert migrator.current() == "aaa111"


# -- the todo example keeps its schema in migrations --------------------------------------

def test_the_todo_apps_migrations_make_exactly_its_models(database, connection):
    from pathlib import Path

    from examples.todo.models import TABLES
    from miniorm.migrations import compare_models

    folder = Path(__file__).resolve().parents[2] / "examples" / "todo" / "migrations"
    migrator = make_migrator(connection, database, folder)
    migrator.upgrade("head")
    diff = compare_models(TABLES, inspect_schema(connection, database.dialect), database.dialect)
    assert diff.upgrade == [] and diff.notes == []
    migrator.downgrade("base")
    assert table_names(connection, database) == [VERSION_TABLE]


def test_a_revision_id_that_the_version_table_cannot_hold_is_refused(tmp_path):
    write_revision(tmp_path, "x" * 33, None)
    with pytest.raises(MigrationError, match="1 to 32 letters, digits or underscores"):
        ScriptDirectory(tmp_path).chain()


def test_offline_downgrade_starts_at_head_unless_told(tmp_path, database):
    folder = two_revision_folder(tmp_path)
    scripts = ScriptDirectory(folder)
    script = offline_sql(scripts, database.dialect, "aaa111", "downgrade")
    assert "-- downgrade bbb222" in script and "-- downgrade aaa111" not in script
    assert offline_sql(scripts, database.dialect, "base", "downgrade", start="head") == \
        offline_sql(scripts, database.dialect, "base", "downgrade", start="bbb222")


def test_upgrade_async_migrates_an_async_database_on_every_loop(tmp_path, database_url,
                                                                run_async):
    from miniorm import AsyncDatabase
    from miniorm.migrations import upgrade_async

    folder = two_revision_folder(tmp_path)

    async def main() -> list[str]:
        database = AsyncDatabase(database_url)
        try:
            await upgrade_async(database, folder, "aaa111")
            await upgrade_async(database, folder)  # the rest: one more revision
            async with database.pool.connection() as connection:
                rows, _ = await connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")
            return sorted(await database.table_names()) + [row[0] for row in rows]
        finally:
            await database.dispose()

    assert run_async(main()) == ["book", VERSION_TABLE, "writer", "bbb222"]


def test_create_all_makes_exactly_the_schema_that_autogenerate_expects(database, connection):
    """If miniorm's create_all() and schema_from_models() ever drift apart, this says so."""
    from miniorm.migrations import compare_models, schema_from_models

    from .models import TEST_MODELS

    for statement in database.ddl_for(TEST_MODELS):  # create_all's SQL, on our connection
        connection.execute(statement, [])
    live_schema = inspect_schema(connection, database.dialect)
    assert comparable(live_schema, database.dialect) == comparable(
        schema_from_models(TEST_MODELS), database.dialect)
    assert compare_models(TEST_MODELS, live_schema, database.dialect).is_empty()
