"""Declaring models (miniorm.model, miniorm.fields) and opening databases (miniorm.database)."""

from __future__ import annotations

import datetime
import enum
from typing import ClassVar

import pytest

from miniorm import Database, Field, Model, select
from miniorm.database import creation_order, parse_url
from miniorm.errors import ConfigurationError
from miniorm.fields import Column
from miniorm.model import MODEL_REGISTRY, forget_models

from .models import TEST_MODELS, Everything, Tag, Todo, User

# -- models ------------------------------------------------------------------------


def test_class_attributes_are_columns_and_instance_attributes_are_values():
    assert isinstance(User.email, Column) and User.email.kind == "str"
    user = User(email="a@x.org")
    assert user.email == "a@x.org" and user.id is None and user.name == ""


def test_the_table_name_is_the_class_name_in_snake_case_unless_given():
    class TodoItem(Model):
        id: int | None = Field(default=None, primary_key=True)

    forget_models(TodoItem)
    assert TodoItem.__table__.name == "todo_item"
    assert Tag.__table__.name == "tags"


def test_default_factory_runs_for_each_instance_and_a_given_value_wins():
    calls = []

    def next_number() -> int:
        calls.append(None)
        return len(calls)

    class Numbered(Model):
        id: int | None = Field(default=None, primary_key=True)
        number: int = Field(default_factory=next_number)

    forget_models(Numbered)
    assert [Numbered().number, Numbered().number, Numbered(number=7).number] == [1, 2, 7]
    assert len(calls) == 2
    assert isinstance(User(email="a").created_at, datetime.datetime)


def test_optional_annotations_make_nullable_columns():
    assert User.age.nullable and not User.email.nullable and not User.id.nullable


def test_each_type_hint_maps_to_its_kind():
    kinds = {name: column.kind for name, column in Everything.__table__.columns.items()}
    assert kinds == {
        "id": "int", "integer": "int", "real": "float", "text": "str", "flag": "bool",
        "blob": "bytes", "moment": "datetime", "aware_moment": "datetime", "day": "date",
        "amount": "decimal", "token": "uuid", "document": "json", "items": "json",
        "color": "enum",
    }


def test_classvar_and_private_names_are_not_columns():
    class Counter(Model):
        id: int | None = Field(default=None, primary_key=True)
        registry: ClassVar[int] = 0
        _cache: dict = {}

    forget_models(Counter)
    assert Counter.__table__.column_names == ("id",)


def test_a_missing_required_field_is_named():
    with pytest.raises(TypeError, match="missing the required field.*title, owner_id"):
        Todo()


def test_a_model_without_a_primary_key_is_refused_with_the_fix():
    with pytest.raises(ConfigurationError, match="exactly one field with primary_key=True"):
        class NoKey(Model):
            name: str


def test_an_unsupported_type_is_refused_with_the_supported_list():
    with pytest.raises(ConfigurationError, match="field 'when' has type.*use one of int"):
        class Bad(Model):
            id: int | None = Field(default=None, primary_key=True)
            when: datetime.time


def test_a_union_of_two_types_is_refused():
    with pytest.raises(ConfigurationError, match="union of several types"):
        class Bad(Model):
            id: int | None = Field(default=None, primary_key=True)
            value: int | str


@pytest.mark.parametrize(("options", "message"), [
    ({"foreign_key": "user"}, "must name 'table.column'"),
    ({"foreign_key": "user.id", "on_delete": "EXPLODE"}, "not an SQL action"),
    ({"on_delete": "CASCADE"}, "needs foreign_key"),
    ({"default": 1, "default_factory": list}, "not both"),
    ({"max_length": 0}, "positive int"),
])
def test_bad_field_options_are_refused(options, message):
    with pytest.raises(ConfigurationError, match=message):
        Field(**options)


def test_an_enum_with_mixed_value_types_cannot_be_stored():
    class Mixed(enum.Enum):
        A = 1
        B = "b"

    class Holder(Model):
        id: int | None = Field(default=None, primary_key=True)
        mixed: Mixed

    forget_models(Holder)
    from miniorm.dialects import SqliteDialect

    with pytest.raises(ConfigurationError, match="all-str or all-int"):
        SqliteDialect().create_table_sql(Holder)


def test_a_new_instance_has_no_snapshot_until_it_is_inserted():
    user = User(email="a")
    user.name = "n"
    assert user._orm_loaded is None and vars(user)["name"] == "n"


def test_the_class_hands_out_columns_while_instances_hold_plain_values():
    user = User(email="a@x.org")
    assert User.email is User.__table__.columns["email"] and user.email == "a@x.org"
    assert "email" not in vars(User) and "email" in dir(User)
    with pytest.raises(AttributeError, match="has no attribute 'emial'"):
        User.emial  # noqa: B018 - the lookup is the test


def test_fields_of_an_abstract_base_become_columns_of_each_model():
    class Stamped(Model):
        __abstract__ = True
        created_by: str = "system"

    class Note(Stamped):
        id: int | None = Field(default=None, primary_key=True)
        text: str = ""

    forget_models(Note)
    assert Note.__table__.column_names == ("created_by", "id", "text")
    assert (Note(text="x").created_by, Note.created_by.name) == ("system", "created_by")


# -- database URLs -------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite://", ("sqlite", ":memory:")),
    ("sqlite:///app.db", ("sqlite", "app.db")),
    ("sqlite:///data/app.db", ("sqlite", "data/app.db")),
    ("sqlite:////tmp/app.db", ("sqlite", "/tmp/app.db")),
    ("postgresql://u:p@h:5432/d", ("postgresql", "postgresql://u:p@h:5432/d")),
    ("postgres://h/d?sslmode=disable", ("postgresql", "postgresql://h/d?sslmode=disable")),
])
def test_urls_name_the_database_and_the_target(url, expected):
    assert parse_url(url) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("app.db", "no scheme"),
    ("mysql://h/d", "unsupported database scheme 'mysql'"),
    ("sqlite://host/app.db", "names a host"),
])
def test_bad_urls_are_refused_with_the_right_spelling(url, message):
    with pytest.raises(ConfigurationError, match=message):
        parse_url(url)


def test_an_in_memory_sqlite_database_keeps_one_connection_for_every_session():
    database = Database("sqlite://", pool_size=5)
    database.create_all(TEST_MODELS)
    with database.session() as session:
        session.add(User(email="a@x.org"))
        session.commit()
    with database.session() as session:
        assert session.exec(select(User.email)).all() == ["a@x.org"]
    assert database.pool.state.size == 1


def test_a_sqlite_file_database_persists_between_database_objects(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    first = Database(url)
    first.create_all(TEST_MODELS)
    with first.session() as session:
        session.add(User(email="a@x.org"))
        session.commit()
    first.dispose()
    second = Database(url)
    with second.session() as session:
        assert session.exec(select(User.email)).all() == ["a@x.org"]
    second.dispose()


# -- create_all, drop_all, introspection ------------------------------------------

def test_creation_order_puts_referenced_tables_first():
    assert creation_order([Todo, User]) == [User, Todo]


def test_create_all_and_drop_all_show_in_the_live_schema(database_url):
    database = Database(database_url)
    database.create_all(TEST_MODELS)
    assert set(database.table_names()) >= {"user", "todo", "everything", "tags"}
    with database.pool.connection() as connection:
        sql, params = database.dialect.columns_sql("todo")
        rows, _ = connection.execute(sql, params)
    assert [(row[0], row[2]) for row in rows] == [
        ("id", "NO"), ("title", "NO"), ("done", "NO"), ("owner_id", "NO")]
    database.drop_all(TEST_MODELS)
    assert not set(database.table_names()) & {"user", "todo", "everything", "tags"}
    database.dispose()


def test_create_all_twice_is_harmless(db):
    db.create_all(TEST_MODELS)
    assert "user" in db.table_names()


def test_test_models_stay_out_of_other_apps_create_all():
    assert all(model not in MODEL_REGISTRY.values() for model in TEST_MODELS)


def test_a_relationship_finds_the_model_of_its_own_module_first():
    class Todo(Model):  # a second "Todo", in another scope, must not capture User.todos
        __tablename__ = "other_todo"
        id: int | None = Field(default=None, primary_key=True)

    forget_models(Todo)
    from . import models

    assert User.todos.resolve()[0] is models.Todo


def test_introspection_finds_the_indexes_and_foreign_keys_create_all_made(db):
    with db.pool.connection() as connection:
        rows, _ = connection.execute(*db.dialect.indexes_sql("todo"))
        assert [(row[0], row[1], bool(row[2])) for row in rows] == [
            ("ix_todo_owner_id", "owner_id", False)]
        rows, _ = connection.execute(*db.dialect.indexes_sql("user"))
        assert [(row[1], bool(row[2])) for row in rows] == [("email", True)]
        rows, _ = connection.execute(*db.dialect.foreign_keys_sql("todo"))
        assert [tuple(row) for row in rows] == [
            ("todo_owner_id_fkey", "owner_id", "user", "id", "CASCADE")]
