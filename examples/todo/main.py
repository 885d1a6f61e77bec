"""The app factory: settings in, a ready ASGI app out.

`create_app(settings)` builds one independent app: its own database, its own
token issuer, its routers. Tests build as many as they like with their own
settings; `app` below is the one servers import:

    python -m minihttp examples.todo.main:app
    uvicorn examples.todo.main:app

The lifespan opens the database when the server starts and upgrades its schema
to the newest revision in migrations/ (creating the tables on first start; see
README.md for adding a column), and closes its connections when the server
stops. A test may hand in its own AsyncDatabase instead (tables created), and then needs no
lifespan at all (an httpx.AsyncClient over ASGITransport runs none).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from miniasgi import App
from miniorm import AsyncDatabase
from miniorm.migrations import upgrade_async

from .routers import auth, todos, users
from .security import make_token_issuer
from .settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, database: AsyncDatabase | None = None) -> App:
    """Build the app. A `database` handed in is the caller's: its tables, its closing."""
    settings = settings or Settings.from_environment()

    @asynccontextmanager
    async def lifespan(app: App):
        app.state.database = AsyncDatabase(settings.database_url)
        try:
            # The blocking migration runner works on another thread: the loop stays free.
            await upgrade_async(app.state.database, MIGRATIONS, "head")
            yield
        finally:
            await app.state.database.dispose()

    app = App(title="ministack todo API", version="1.0.0",
              description="Users, tokens and todos: every layer of ministack in one app.",
              lifespan=lifespan if database is None else None)
    if database is not None:
        app.state.database = database
    app.state.settings = settings
    app.state.token_issuer = make_token_issuer(settings)
    for module in (auth, users, todos):
        app.include_router(module.router)
    return app


app = create_app()
