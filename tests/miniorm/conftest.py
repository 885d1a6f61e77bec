"""The `db` fixture: every ORM test runs once on SQLite and once on PostgreSQL.

PostgreSQL tests are isolated by schema: each test gets a fresh schema
(`CREATE SCHEMA miniorm_<random>`), reached through libpq's `options=-csearch_path=...`
in the URL, and dropped with everything in it afterwards. SQLite tests get a
fresh in-memory database.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import psycopg
import pytest

from miniorm import AsyncDatabase, Database

from .models import TEST_MODELS


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def schema_url(dsn: str, schema: str) -> str:
    separator = "&" if "?" in dsn else "?"
    return f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest):
    """A URL for an empty database of the parametrized backend; cleaned up afterwards."""
    if backend == "sqlite":
        yield "sqlite://"
        return
    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"miniorm_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def db(database_url: str):
    """A Database with the test models' tables created."""
    database = Database(database_url)
    database.create_all(TEST_MODELS)
    yield database
    database.dispose()


@pytest.fixture
def async_url(database_url: str) -> str:
    """The same URL for async tests; tables are created by the test on its own loop."""
    return database_url


async def open_async_database(url: str, **options) -> AsyncDatabase:
    database = AsyncDatabase(url, **options)
    await database.create_all(TEST_MODELS)
    return database
