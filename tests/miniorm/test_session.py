"""The blocking Session, on SQLite and on PostgreSQL (the `db` fixture runs each test twice)."""

from __future__ import annotations

import logging
import threading

import pytest

from miniorm import delete, func, select, selectinload, update
from miniorm.errors import (
    ConcurrentUseError,
    IntegrityError,
    MultipleResultsFound,
    NoResultFound,
    NotLoadedError,
    SessionClosedError,
    SessionError,
)

from .models import Tag, Todo, User


def add_users(session, *emails, **fields):
    users = [User(email=email, **fields) for email in emails]
    session.add_all(users)
    session.commit()
    return users


# -- create, read, update, delete ---------------------------------------------

def test_insert_fills_the_generated_key_from_returning(db):
    with db.session() as session:
        first, second = add_users(session, "a@x.org", "b@x.org")
        assert isinstance(first.id, int) and second.id == first.id + 1


def test_get_by_primary_key_returns_the_instance_or_none(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org", name="Ada")
        key = user.id
    with db.session() as session:
        loaded = session.get(User, key)
        assert (loaded.email, loaded.name) == ("a@x.org", "Ada")
        assert session.get(User, key + 100) is None


def test_the_identity_map_returns_the_same_object_for_the_same_row(db):
    with db.session() as session:
        add_users(session, "a@x.org")
        first = session.exec(select(User)).one()
        again = session.exec(select(User).where(User.email == "a@x.org")).one()
        assert first is again and session.get(User, first.id) is first


def test_plain_attributes_are_readable_and_vars_holds_only_column_values(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
    with db.session() as session:
        loaded = session.get(User, user.id)
        assert set(vars(loaded)) == {"id", "email", "name", "age", "password_hash", "created_at"}
        assert loaded.to_dict()["email"] == "a@x.org"


def test_changing_an_attribute_and_committing_writes_an_update(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
        user.name = "Grace"
        session.commit()
    with db.session() as session:
        assert session.get(User, user.id).name == "Grace"


def test_a_loaded_instance_changed_and_committed_is_updated(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
    with db.session() as session:
        loaded = session.get(User, user.id)
        loaded.age = 41
        session.add(loaded)
        session.commit()
    with db.session() as session:
        assert session.exec(select(User.age)).one() == 41


def test_delete_removes_the_row(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
        session.delete(user)
        session.commit()
        assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_update_and_delete_statements_report_the_rows_they_touched(db):
    with db.session() as session:
        add_users(session, "a@x.org", "b@x.org", "c@y.org")
        result = session.exec(update(User).where(User.email.like("%@x.org")).values(age=7))
        assert result.rowcount == 2
        assert session.exec(delete(User).where(User.age == 7)).rowcount == 2
        session.commit()
        assert session.exec(select(User.email)).all() == ["c@y.org"]


def test_refresh_reads_the_database_version_back(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
        session.exec(update(User).values(name="changed elsewhere"))
        session.refresh(user)
        assert user.name == "changed elsewhere"


def test_a_key_chosen_by_the_caller_is_kept(db):
    with db.session() as session:
        session.add(Tag(code="py", label="Python"))
        session.commit()
        assert session.get(Tag, "py").label == "Python"


def test_many_new_objects_of_one_model_are_inserted_in_one_batch_with_their_keys(db):
    with db.session() as session:
        users = add_users(session, *(f"u{i}@x.org" for i in range(50)))
        assert len({user.id for user in users}) == 50
        assert session.exec(select(func.count()).select_from(User)).scalar() == 50


# -- queries -------------------------------------------------------------------

@pytest.fixture
def people(db):
    with db.session() as session:
        for index, (email, age) in enumerate(
            [("ann@x.org", 17), ("bob@x.org", 30), ("cy@y.org", 45), ("di@y.org", None)]
        ):
            session.add(User(email=email, name=f"n{index}", age=age))
        session.commit()
    return db


def emails(session, query):
    return [user.email for user in session.exec(query).all()]


@pytest.mark.parametrize(("condition", "expected"), [
    (lambda: User.age >= 18, ["bob@x.org", "cy@y.org"]),
    (lambda: (User.age < 18) | (User.age > 40), ["ann@x.org", "cy@y.org"]),
    (lambda: ~(User.age == 30), ["ann@x.org", "cy@y.org"]),
    (lambda: User.email.in_(["bob@x.org", "di@y.org", "zz"]), ["bob@x.org", "di@y.org"]),
    (lambda: User.email.not_in(["bob@x.org"]), ["ann@x.org", "cy@y.org", "di@y.org"]),
    (lambda: User.email.like("%@y.org"), ["cy@y.org", "di@y.org"]),
    (lambda: User.email.like("%@Y.ORG"), []),
    (lambda: User.email.ilike("%@Y.ORG"), ["cy@y.org", "di@y.org"]),
    (lambda: User.age.is_(None), ["di@y.org"]),
    (lambda: User.age.is_not(None) & (User.name != "n0"), ["bob@x.org", "cy@y.org"]),
    (lambda: User.age.between(17, 30), ["ann@x.org", "bob@x.org"]),
    (lambda: User.id.in_([]), []),
], ids=["ge", "or", "not", "in", "not in", "like", "like is case-sensitive", "ilike", "is null",
        "and", "between", "empty in"])
def test_where_conditions_select_the_expected_rows(people, condition, expected):
    with people.session() as session:
        assert emails(session, select(User).where(condition()).order_by(User.email)) == expected


def test_order_by_limit_and_offset_page_through_rows(people):
    with people.session() as session:
        query = select(User).order_by(User.email.desc()).limit(2)
        assert emails(session, query) == ["di@y.org", "cy@y.org"]
        assert emails(session, query.offset(2)) == ["bob@x.org", "ann@x.org"]
        assert emails(session, select(User).order_by("email").offset(3)) == ["di@y.org"]


def test_order_by_a_field_name_from_user_input(people):
    with people.session() as session:
        assert emails(session, select(User).order_by("-name")) == [
            "di@y.org", "cy@y.org", "bob@x.org", "ann@x.org"]


def test_func_count_and_aggregates(people):
    with people.session() as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 4
        assert session.exec(select(func.count()).where(User.age > 20)).scalar() == 2
        assert session.exec(select(func.max(User.age))).scalar() == 45


def test_selecting_several_columns_returns_tuples(people):
    with people.session() as session:
        rows = session.exec(select(User.email, User.age).where(User.age > 20)
                            .order_by(User.age)).all()
        assert rows == [("bob@x.org", 30), ("cy@y.org", 45)]


def test_one_first_and_scalar_follow_their_contracts(people):
    with people.session() as session:
        assert session.exec(select(User).where(User.email == "nobody")).first() is None
        assert session.exec(select(User.email).where(User.email == "nobody")).scalar() is None
        with pytest.raises(NoResultFound):
            session.exec(select(User).where(User.email == "nobody")).one()
        with pytest.raises(MultipleResultsFound, match="returned 4"):
            session.exec(select(User)).one()


def test_join_on_the_foreign_key(people):
    with people.session() as session:
        bob = session.exec(select(User).where(User.email == "bob@x.org")).one()
        session.add_all([Todo(title="t1", owner_id=bob.id), Todo(title="t2", owner_id=bob.id)])
        session.commit()
        titles = session.exec(select(Todo.title).join(User).where(User.email == "bob@x.org")
                              .order_by(Todo.title)).all()
        assert titles == ["t1", "t2"]
        counts = session.exec(select(User.email, func.count(Todo.id)).join(Todo, isouter=True)
                              .group_by(User.email).order_by(User.email)).all()
        assert counts == [("ann@x.org", 0), ("bob@x.org", 2), ("cy@y.org", 0), ("di@y.org", 0)]


def test_a_pending_object_is_flushed_before_a_query_sees_the_table(db):
    with db.session() as session:
        session.add(User(email="a@x.org"))
        assert session.exec(select(User.email)).all() == ["a@x.org"]


# -- relationships ---------------------------------------------------------------

@pytest.fixture
def owners(db):
    with db.session() as session:
        ann, bob = add_users(session, "ann@x.org", "bob@x.org")
        session.add_all([Todo(title=f"a{i}", owner_id=ann.id) for i in range(3)])
        session.add(Todo(title="b0", owner_id=bob.id))
        session.commit()
    return db


def test_a_relationship_is_never_loaded_behind_your_back(owners):
    with owners.session() as session:
        user = session.exec(select(User).where(User.email == "ann@x.org")).one()
        with pytest.raises(NotLoadedError, match=r"session.load\(obj, 'todos'\)"):
            _ = user.todos


def test_selectinload_loads_every_parents_children_in_one_more_query(owners, caplog):
    owners_echo = owners
    with owners_echo.session() as session:
        users = session.exec(select(User).options(selectinload(User.todos))
                             .order_by(User.email)).all()
        assert [[todo.title for todo in user.todos] for user in users] == [
            ["a0", "a1", "a2"], ["b0"]]


def test_session_load_loads_one_relationship_explicitly_both_ways(owners):
    with owners.session() as session:
        todo = session.exec(select(Todo).where(Todo.title == "b0")).one()
        owner = session.load(todo, "owner")
        assert owner.email == "bob@x.org" and todo.owner is owner
        assert [t.title for t in session.load(owner, "todos")] == ["b0"]
        with pytest.raises(SessionError, match="no relationship 'friends'"):
            session.load(owner, "friends")


def test_deleting_a_user_cascades_to_their_todos(owners):
    with owners.session() as session:
        session.exec(delete(User).where(User.email == "ann@x.org"))
        session.commit()
        assert session.exec(select(Todo.title)).all() == ["b0"]


# -- transactions and savepoints ------------------------------------------------

def test_an_exception_inside_begin_rolls_the_transaction_back(db):
    with db.session() as session:
        with pytest.raises(RuntimeError, match="boom"):
            with session.begin():
                session.add(User(email="a@x.org"))
                session.flush()
                raise RuntimeError("boom")
        assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_begin_commits_when_the_block_ends(db):
    with db.session() as session:
        with session.begin():
            session.add(User(email="a@x.org"))
    with db.session() as session:
        assert session.exec(select(User.email)).all() == ["a@x.org"]


def test_begin_inside_an_open_transaction_is_refused(db):
    with db.session() as session:
        session.exec(select(User))
        with pytest.raises(SessionError, match="already open"):
            with session.begin():
                pass


def test_a_savepoint_rolls_back_only_its_own_block(db):
    with db.session() as session:
        session.add(User(email="kept@x.org"))
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.add(User(email="kept@x.org"))  # duplicate: fails at the flush
        with session.begin_nested():
            session.add(User(email="also@x.org"))
        session.commit()
        assert session.exec(select(User.email).order_by(User.email)).all() == [
            "also@x.org", "kept@x.org"]


def test_rollback_discards_uncommitted_changes(db):
    with db.session() as session:
        session.add(User(email="a@x.org"))
        session.flush()
        session.rollback()
        assert session.exec(select(User)).all() == []


def test_closing_a_session_rolls_back_what_was_not_committed(db):
    session = db.session()
    session.add(User(email="a@x.org"))
    session.flush()
    session.close()
    with db.session() as other:
        assert other.exec(select(User)).all() == []


# -- integrity errors name the constraint ---------------------------------------

def test_a_duplicate_unique_value_raises_integrity_error_naming_the_constraint(db):
    with db.session() as session:
        add_users(session, "a@x.org")
        session.add(User(email="a@x.org"))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
        assert (caught.value.kind, caught.value.constraint) == ("unique", "user_email_key")
        assert "user_email_key" in str(caught.value)


def test_a_missing_foreign_key_target_raises_integrity_error_naming_the_constraint(db):
    with db.session() as session:
        session.add(Todo(title="orphan", owner_id=12345))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
        assert (caught.value.kind, caught.value.constraint) == (
            "foreign_key", "todo_owner_id_fkey")


def test_a_null_in_a_not_null_column_raises_integrity_error_naming_the_column(db):
    with db.session() as session:
        session.add(User(email=None))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
        assert (caught.value.kind, caught.value.constraint) == ("not_null", "user.email")


def test_the_session_is_usable_after_an_integrity_error(db):
    with db.session() as session:
        add_users(session, "a@x.org")
        session.add(User(email="a@x.org"))
        with pytest.raises(IntegrityError):
            session.commit()
        add_users(session, "b@x.org")
        assert session.exec(select(func.count()).select_from(User)).one() == 2


# -- misuse ------------------------------------------------------------------------

def test_a_closed_session_refuses_queries_with_a_clear_error(db):
    session = db.session()
    session.close()
    with pytest.raises(SessionClosedError, match="open a new one"):
        session.exec(select(User))
    with pytest.raises(SessionClosedError):
        session.add(User(email="a@x.org"))


def test_two_threads_in_one_session_at_once_raise_concurrent_use_error(db):
    session = db.session()
    inside, release = threading.Event(), threading.Event()
    original = session.state.plan_flush

    def slow_plan_flush():
        inside.set()
        release.wait(5)
        return original()

    session.state.plan_flush = slow_plan_flush
    session.add(User(email="a@x.org"))
    worker = threading.Thread(target=session.flush)
    worker.start()
    inside.wait(5)
    try:
        with pytest.raises(ConcurrentUseError, match="one session per"):
            session.exec(select(User))
    finally:
        release.set()
        worker.join(5)
        session.close()


def test_a_model_built_with_an_unknown_field_is_refused():
    with pytest.raises(TypeError, match="has no field 'emial'"):
        User(emial="a@x.org")


# -- change tracking (the snapshot of miniorm.model) ----------------------------------

def logged_statements(database_url, caplog, work):
    """The SQL a fresh echoing Database runs for `work(session)`, after setup."""
    from miniorm import Database

    from .models import TEST_MODELS

    database = Database(database_url, echo=True)
    database.create_all(TEST_MODELS)
    try:
        with database.session() as session:
            add_users(session, "a@x.org")
        with caplog.at_level(logging.INFO, logger="miniorm"):
            caplog.clear()
            with database.session() as session:
                work(session)
        return [record.getMessage() for record in caplog.records if record.name == "miniorm"]
    finally:
        database.dispose()


def test_only_the_changed_columns_are_written(database_url, caplog):
    def work(session):
        user = session.exec(select(User)).one()
        user.name = "Grace"
        session.commit()

    updates = [m for m in logged_statements(database_url, caplog, work) if m.startswith("UPDATE")]
    assert len(updates) == 1 and '"name"' in updates[0] and '"email"' not in updates[0]


def test_setting_a_column_to_the_value_it_holds_writes_nothing(database_url, caplog):
    def work(session):
        user = session.exec(select(User)).one()
        user.name = user.name
        user.email = "A@X.ORG".lower()  # another object, an equal value
        assert not session.state.has_changes()
        session.commit()

    assert not [m for m in logged_statements(database_url, caplog, work) if m.startswith("UPDATE")]


def test_a_loaded_session_has_changes_once_a_column_is_set(db):
    with db.session() as session:
        add_users(session, "a@x.org", "b@x.org")
    with db.session() as session:
        first, second = session.exec(select(User).order_by(User.email)).all()
        assert not session.state.has_changes()
        second.age = 7
        assert session.state.has_changes()
        session.exec(select(User.id))  # autoflush writes the change...
        assert not session.state.has_changes()  # ...and takes a new snapshot
        assert session.exec(select(User.age).where(User.email == "b@x.org")).one() == 7


def test_a_json_value_changed_in_place_is_written(db):
    from .models import Everything

    with db.session() as session:
        row = Everything(document={"a": 1}, items=[1])
        session.add(row)
        session.commit()
        key = row.id
    with db.session() as session:
        loaded = session.get(Everything, key)
        loaded.document["b"] = 2
        loaded.items.append(2)
        session.commit()
    with db.session() as session:
        loaded = session.get(Everything, key)
        assert (loaded.document, loaded.items) == ({"a": 1, "b": 2}, [1, 2])


def test_a_queried_instance_is_found_by_key_and_can_be_deleted(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
    with db.session() as session:
        queried = session.exec(select(User)).one()  # the map indexes it only when asked
        assert session.get(User, user.id) is queried
        session.delete(queried)
        session.commit()
        assert session.get(User, user.id) is None


def test_a_refreshed_instance_has_no_changes_left(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
        session.exec(update(User).values(name="changed elsewhere"))
        session.refresh(user)
        assert user.name == "changed elsewhere" and not session.state.has_changes()


# -- echo ---------------------------------------------------------------------------

def test_echo_logs_each_statement_with_its_parameters_and_duration(database_url, caplog):
    from miniorm import Database

    from .models import TEST_MODELS

    database = Database(database_url, echo=True)
    database.create_all(TEST_MODELS)
    with caplog.at_level(logging.INFO, logger="miniorm"):
        with database.session() as session:
            session.exec(select(User).where(User.email == "logged@x.org"))
    database.dispose()
    messages = [record.getMessage() for record in caplog.records if record.name == "miniorm"]
    assert any('WHERE "user"."email" = ' in m and "'logged@x.org'" in m and " ms)" in m
               for m in messages), messages


# -- a session per request ------------------------------------------------------------

def test_db_begin_commits_on_success_and_rolls_back_on_error(db):
    with db.begin() as session:
        session.add(User(email="kept@x.org"))
    with pytest.raises(LookupError):
        with db.begin() as session:
            session.add(User(email="lost@x.org"))
            session.flush()
            raise LookupError("the endpoint failed")
    with db.session() as session:
        assert session.exec(select(User.email)).all() == ["kept@x.org"]


def test_a_generator_dependency_commits_when_the_request_succeeds(db):
    def get_session():
        with db.begin() as session:
            yield session

    dependency = get_session()
    next(dependency).add(User(email="a@x.org"))
    with pytest.raises(StopIteration):
        next(dependency)
    failing = get_session()
    next(failing).add(User(email="b@x.org"))
    with pytest.raises(ValueError):
        failing.throw(ValueError("bad request"))
    with db.session() as session:
        assert session.exec(select(User.email)).all() == ["a@x.org"]


def test_an_object_inserted_inside_a_rolled_back_savepoint_is_forgotten(db):
    with db.session() as session:
        with pytest.raises(RuntimeError):
            with session.begin_nested():
                ghost = User(email="ghost@x.org")
                session.add(ghost)
                session.flush()
                raise RuntimeError("undo")
        assert session.get(User, ghost.id) is None
        session.commit()


def test_a_failed_flush_rolls_back_and_leaves_the_session_ready_for_new_work(db):
    with db.session() as session:
        add_users(session, "a@x.org")
        session.add(User(email="a@x.org"))
        with pytest.raises(IntegrityError) as caught:
            session.flush()
        assert any("rolled its transaction back" in note for note in caught.value.__notes__)
        assert session.exec(select(User.email)).all() == ["a@x.org"]


def test_an_aware_datetime_in_a_naive_column_is_refused_with_the_fix(db):
    import datetime

    from miniorm.errors import ConfigurationError

    with db.session() as session:
        session.add(User(email="a@x.org", created_at=datetime.datetime.now(datetime.UTC)))
        with pytest.raises(ConfigurationError, match=r"declare the field with Field\(timezone"):
            session.commit()


def test_a_naive_datetime_in_an_aware_column_is_refused(db):
    import datetime

    from miniorm.errors import ConfigurationError

    from .models import Everything

    with db.session() as session:
        with pytest.raises(ConfigurationError, match="give it a tzinfo"):
            session.exec(select(Everything).where(
                Everything.aware_moment == datetime.datetime(2024, 1, 1)))


def test_an_instance_changed_before_it_joined_this_session_is_still_updated(db):
    with db.session() as first:
        (user,) = add_users(first, "a@x.org")
    user.name = "changed while detached"
    with db.session() as second:
        second.exec(select(User.id))  # a statement, so the session has looked for changes
        second.add(user)
        second.commit()
    with db.session() as third:
        assert third.exec(select(User.name)).one() == "changed while detached"


# -- more statement shapes ------------------------------------------------------------

def test_an_update_can_compute_from_the_current_value(people):
    with people.session() as session:
        session.exec(update(User).where(User.age.is_not(None)).values(age=User.age + 1))
        session.commit()
        assert session.exec(select(User.age).where(User.age.is_not(None))
                            .order_by(User.age)).all() == [18, 31, 46]


def test_selecting_a_model_and_a_column_gives_instance_value_pairs(owners):
    with owners.session() as session:
        rows = session.exec(select(Todo, User.email).join(User).where(Todo.title == "b0")).all()
        assert [(todo.title, email) for todo, email in rows] == [("b0", "bob@x.org")]


def test_where_by_filters_on_field_names(people):
    with people.session() as session:
        assert emails(session, select(User).where_by(name="n1", age=30)) == ["bob@x.org"]


def test_an_insert_statement_can_return_the_generated_keys(db):
    from miniorm import insert

    with db.session() as session:
        query = insert(User).values([{"email": "a@x.org"}, {"email": "b@x.org", "name": "B"}])
        result = session.exec(query.returning(User.id, User.email, User.name))
        assert sorted((email, name) for _, email, name in result.all()) == [
            ("a@x.org", ""), ("b@x.org", "B")]


def test_a_pool_with_no_free_connection_times_out_with_advice(database_url):
    from miniorm import Database
    from miniorm.errors import PoolTimeoutError

    from .models import TEST_MODELS

    database = Database(database_url, pool_size=1, pool_timeout=0.05)
    database.create_all(TEST_MODELS)
    holder = database.session()
    holder.exec(select(User))  # holds the only connection inside its transaction
    try:
        with database.session() as waiting:
            with pytest.raises(PoolTimeoutError, match="raise pool_size"):
                waiting.exec(select(User))
    finally:
        holder.close()
        database.dispose()


def test_changing_the_primary_key_of_a_stored_row_is_refused(db):
    with db.session() as session:
        (user,) = add_users(session, "a@x.org")
        user.id = user.id + 100
        with pytest.raises(SessionError, match="cannot be updated here"):
            session.commit()


def test_selectinload_needs_a_select_of_one_model():
    from miniorm.errors import QueryError

    with pytest.raises(QueryError, match="select of one model"):
        select(User, Todo.title).options(selectinload(User.todos))


def test_batches_also_insert_one_statement_per_row_when_the_dialect_asks(db):
    db.dialect.multi_row_insert = False  # the per-row path SQLite always takes
    try:
        with db.session() as session:
            users = add_users(session, "a@x.org", "b@x.org", "c@x.org")
            assert [session.get(User, user.id).email for user in users] == [
                "a@x.org", "b@x.org", "c@x.org"]
    finally:
        db.dialect.multi_row_insert = type(db.dialect).multi_row_insert


def test_get_on_a_closed_session_is_refused_even_for_a_known_row(db):
    session = db.session()
    (user,) = add_users(session, "a@x.org")
    session.close()
    with pytest.raises(SessionClosedError):
        session.get(User, user.id)


def test_an_exception_in_a_session_block_gives_the_connection_back_to_the_pool(db):
    with pytest.raises(KeyError):
        with db.session() as session:
            session.exec(select(User))  # borrows a connection and opens a transaction
            raise KeyError("the request failed")
    assert len(db.pool.state.idle) == db.pool.state.open_count == 1


def test_selectinload_of_a_many_to_one_relationship_shares_one_owner_object(owners):
    with owners.session() as session:
        todos = session.exec(select(Todo).options(selectinload(Todo.owner))
                             .order_by(Todo.title)).all()
        owners_seen = [todo.owner for todo in todos]
        assert [owner.email for owner in owners_seen] == [
            "ann@x.org", "ann@x.org", "ann@x.org", "bob@x.org"]
        assert owners_seen[0] is owners_seen[1] is owners_seen[2]


def test_a_join_that_repeats_a_row_gives_the_same_instance_each_time(owners):
    with owners.session() as session:
        users = session.exec(select(User).join(Todo).where(User.email == "ann@x.org")).all()
        assert len(users) == 3 and users[0] is users[1] is users[2]


def test_paging_in_one_session_mixes_tracked_and_new_rows_correctly(people):
    with people.session() as session:
        first_page = session.exec(select(User).order_by(User.email).limit(2)).all()
        first_page[0].name = "changed in memory"
        overlapping = session.exec(select(User).order_by(User.email).offset(1)).all()
        everyone = session.exec(select(User).order_by(User.email)).all()
        assert overlapping[0] is first_page[1] and everyone[:2] == first_page
        assert [user.email for user in everyone] == [
            "ann@x.org", "bob@x.org", "cy@y.org", "di@y.org"]
        assert everyone[2] is overlapping[1]


def test_a_string_longer_than_max_length_is_refused_on_both_databases(db):
    from miniorm.errors import ConfigurationError

    with db.session() as session:
        session.add(User(email="x" * 256))
        with pytest.raises(ConfigurationError, match="allows 255 characters, got 256"):
            session.commit()
        add_users(session, "y" * 255)
        assert session.exec(select(func.length(User.email))).one() == 255
