"""A database-backed endpoint: the todo API's list, from PostgreSQL, on two servers.

GET /todos?limit=20 with a bearer token: the request crosses every layer —
minihttp parses it, miniasgi resolves the dependencies (verify the JWT, open a
session, load the user), miniorm runs two queries (a count and a page of 20
todos) on PostgreSQL, and the page goes back as JSON. The same app is served by
minihttp and by Uvicorn + httptools, both on uvloop, and the baseline is
Uvicorn: here the database and the framework dominate, so the servers' gap
shrinks — the lesson is where the time goes once real work is done.

Run it:  python -m benchmarks database [--quick] [--duration S] [--connections N]
Needs PostgreSQL: MINIORM_BENCH_DSN or MINIORM_TEST_DSN (default the test DSN).
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import psycopg

from benchmarks.bench_servers import shape_for
from benchmarks.load import RequestSpec
from benchmarks.measure import measure_server
from benchmarks.servers import ServerSpec

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "benchmark-secret-key-that-is-long-enough"
TODO_APP = "examples.todo.main:app"
SERVERS = [ServerSpec("minihttp", "uvloop"), ServerSpec("uvicorn", "uvloop", "httptools")]
TODO_COUNT = 50


def prepare(url: str) -> str:
    """Migrate the schema, add a user and their todos; return the user's access token."""
    from examples.todo.main import MIGRATIONS, create_app
    from examples.todo.models import Todo, User
    from examples.todo.settings import Settings
    from miniauth.passwords import hash_password
    from miniorm import Database
    from miniorm.migrations import upgrade

    database = Database(url)
    upgrade(database, MIGRATIONS, "head")  # the schema the app's own startup expects
    with database.begin() as session:
        user = User(email="bench@example.com", password_hash=hash_password("benchmark"))
        session.add(user)
        session.flush()
        session.add_all([Todo(owner_id=user.id, title=f"todo {index}", done=index % 3 == 0)
                         for index in range(TODO_COUNT)])
        user_id = user.id
    database.dispose()
    app = create_app(Settings(database_url=url, secret_key=SECRET, access_token_minutes=600))
    return app.state.token_issuer.issue(str(user_id)).access_token


def run(quick: bool = False, duration: float | None = None, connections: int | None = None,
        progress=None) -> list[dict]:
    dsn = os.environ.get("MINIORM_BENCH_DSN", os.environ.get("MINIORM_TEST_DSN", DEFAULT_DSN))
    schema = f"bench_todo_{uuid.uuid4().hex[:10]}"
    separator = "&" if "?" in dsn else "?"
    url = f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        token = prepare(url)
        request = RequestSpec("GET", "/todos?limit=20", (("Authorization", f"Bearer {token}"),))
        environment = {"DATABASE_URL": url, "SECRET_KEY": SECRET,
                       "ACCESS_TOKEN_MINUTES": "600"}
        shape = shape_for(quick, duration, connections or (4 if quick else 16))
        rows = []
        for spec in SERVERS:
            if progress:
                progress(f"todo list from PostgreSQL: {spec.name}")
            rows.append(measure_server(spec, TODO_APP, request, shape,
                                       case="todo list from PostgreSQL",
                                       baseline=SERVERS[1].name, environment=environment))
        return rows
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
