"""AsyncSession on both backends, on asyncio's loop and on minihttp's own loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from miniorm import func, select, selectinload, update
from miniorm.errors import ConcurrentUseError, IntegrityError, NotLoadedError, SessionClosedError

from .conftest import open_async_database
from .models import Todo, User

MINIHTTP_LOOP = Path(__file__).resolve().parents[2] / "minihttp" / "loop.py"


@pytest.fixture(params=["asyncio", "mini"])
def loop_name(request: pytest.FixtureRequest) -> str:
    """asyncio and minihttp's loop (uvloop is covered by the framework's own suites)."""
    if request.param == "mini" and not MINIHTTP_LOOP.exists():
        pytest.skip("minihttp/loop.py is not written yet")
    return request.param


def test_add_commit_get_and_query(async_url, run_async):
    async def scenario():
        database = await open_async_database(async_url)
        try:
            async with database.session() as session:
                user = User(email="a@x.org", age=20)
                session.add(user)
                await session.commit()
                assert isinstance(user.id, int)
            async with database.session() as session:
                loaded = await session.get(User, user.id)
                assert loaded.email == "a@x.org"
                loaded.age = 21
                await session.commit()
                result = await session.exec(select(User.age).where(User.email.like("a@%")))
                assert result.one() == 21
                await session.exec(update(User).values(name="n"))
                count = await session.exec(select(func.count()).where(User.name == "n"))
                assert count.scalar() == 1
        finally:
            await database.dispose()

    run_async(scenario())


def test_selectinload_and_explicit_load(async_url, run_async):
    async def scenario():
        database = await open_async_database(async_url)
        try:
            async with database.session() as session:
                user = User(email="a@x.org")
                session.add(user)
                await session.flush()
                session.add_all([Todo(title=f"t{i}", owner_id=user.id) for i in range(3)])
                await session.commit()
            async with database.session() as session:
                (loaded,) = (await session.exec(
                    select(User).options(selectinload(User.todos)))).all()
                assert [todo.title for todo in loaded.todos] == ["t0", "t1", "t2"]
                todo = (await session.exec(select(Todo).where(Todo.title == "t1"))).one()
                with pytest.raises(NotLoadedError):
                    _ = todo.owner
                assert (await session.load(todo, "owner")) is loaded
        finally:
            await database.dispose()

    run_async(scenario())


def test_an_exception_inside_begin_rolls_back_and_a_savepoint_keeps_the_outer_work(
        async_url, run_async):
    async def scenario():
        database = await open_async_database(async_url)
        try:
            async with database.session() as session:
                with pytest.raises(RuntimeError):
                    async with session.begin():
                        session.add(User(email="lost@x.org"))
                        await session.flush()
                        raise RuntimeError("boom")
                session.add(User(email="kept@x.org"))
                with pytest.raises(IntegrityError) as caught:
                    async with session.begin_nested():
                        session.add(User(email="kept@x.org"))
                assert caught.value.constraint == "user_email_key"
                await session.commit()
                emails = (await session.exec(select(User.email))).all()
                assert emails == ["kept@x.org"]
        finally:
            await database.dispose()

    run_async(scenario())


def test_two_tasks_using_one_session_at_once_get_a_clear_error(async_url, run_async):
    async def scenario():
        database = await open_async_database(async_url)
        try:
            async with database.session() as session:
                outcomes = await asyncio.gather(
                    session.exec(select(User)), session.exec(select(User)),
                    return_exceptions=True,
                )
                errors = [o for o in outcomes if isinstance(o, ConcurrentUseError)]
                assert len(errors) == 1 and "another task" in str(errors[0])
        finally:
            await database.dispose()

    run_async(scenario())


def test_a_closed_async_session_refuses_work(async_url, run_async):
    async def scenario():
        database = await open_async_database(async_url)
        try:
            session = database.session()
            await session.close()
            with pytest.raises(SessionClosedError):
                await session.exec(select(User))
        finally:
            await database.dispose()

    run_async(scenario())


def test_one_async_database_serves_one_loop_after_another(async_url, loop_factory):
    from miniorm import AsyncDatabase

    from .models import TEST_MODELS

    database = AsyncDatabase(async_url, pool_size=1)

    async def first() -> None:
        await database.create_all(TEST_MODELS)
        async with database.begin() as session:
            session.add(User(email="a@x.org"))

    async def second() -> list[str]:
        async with database.session() as session:
            emails = (await session.exec(select(User.email))).all()
        await database.dispose()
        return emails

    for scenario in (first, second):
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            result = runner.run(scenario())
    assert result == ["a@x.org"]


def test_adding_while_another_task_runs_a_statement_is_refused(async_url, run_async):
    async def scenario():
        database = await open_async_database(async_url)
        try:
            async with database.session() as session:
                running = asyncio.ensure_future(session.exec(select(User)))
                await asyncio.sleep(0)  # the other task is now inside exec(), awaiting I/O
                with pytest.raises(ConcurrentUseError):
                    session.add(User(email="a@x.org"))
                await running
        finally:
            await database.dispose()

    run_async(scenario())


def test_echo_logs_async_statements_too(async_url, run_async, caplog):
    import logging

    async def scenario():
        database = await open_async_database(async_url, echo=True)
        try:
            async with database.session() as session:
                await session.exec(select(User).where(User.email == "echoed@x.org"))
        finally:
            await database.dispose()

    with caplog.at_level(logging.INFO, logger="miniorm"):
        run_async(scenario())
    assert any("'echoed@x.org'" in record.getMessage() and " ms)" in record.getMessage()
               for record in caplog.records if record.name == "miniorm")
