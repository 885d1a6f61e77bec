"""Database and AsyncDatabase: a URL, a dialect, a pool, and sessions.

    db = Database("sqlite:///app.db", echo=True)
    db.create_all()
    with db.session() as session:
        ...

The URL picks the database (RFC 3986 syntax, as SQLAlchemy spells them):

    postgresql://user:password@host:5432/name   psycopg 3 (postgres:// works too;
                                                query options go to libpq as-is)
    sqlite://                                   in memory, private to this object
    sqlite:///relative/path.db                  a file, relative to the working dir
    sqlite:////absolute/path.db                 a file, absolute path (four slashes)

`create_all()` creates the tables of every model defined so far (or of the
`models` given: pass them when several apps share one process) in foreign-key order, so `todo` comes after `user` whatever the
order of the classes; `drop_all()` drops in the reverse order.

`echo=True` logs each statement with its parameters and duration on the
"miniorm" logger at INFO level; call `logging.basicConfig(level=logging.INFO)`
to see them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from .dialects import DIALECTS, Dialect
from .drivers import (
    AsyncPostgresConnection,
    AsyncSqliteConnection,
    PostgresConnection,
    SqliteConnection,
    SqliteWorker,
)
from .errors import ConfigurationError
from .pool import AsyncPool, Pool


def parse_url(url: str) -> tuple[str, str]:
    """Return (dialect name, driver target): a libpq conninfo URL or an SQLite path."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ConfigurationError(
            f"database URL {url!r} has no scheme: write postgresql://user@host/name, "
            "sqlite:///path.db or sqlite:// (in memory)"
        )
    scheme = scheme.lower()
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql", "postgresql://" + rest
    if scheme == "sqlite":
        if rest == "" or rest == "/:memory:":
            return "sqlite", ":memory:"
        if not rest.startswith("/"):
            raise ConfigurationError(
                f"SQLite URL {url!r} names a host; write sqlite:///relative.db (three slashes) "
                "or sqlite:////absolute/path.db (four)"
            )
        return "sqlite", rest[1:]
    raise ConfigurationError(
        f"unsupported database scheme {scheme!r} in {url!r}: use postgresql:// or sqlite://"
    )


def creation_order(models: Iterable[Any]) -> list[Any]:
    """Models sorted so that every referenced table comes before its referrers."""
    by_table = {model.__table__.name: model for model in models}
    ordered: list[Any] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        model = by_table[table]
        if model in ordered or table in visiting:
            return  # done already, or a cycle (self-reference): the FK is created inline
        visiting.add(table)
        for column in model.__table__.columns.values():
            if column.foreign_key:
                target = column.foreign_key.split(".")[0]
                if target in by_table:
                    visit(target)
        visiting.discard(table)
        ordered.append(model)

    for table in by_table:
        visit(table)
    return ordered


def all_models() -> list[Any]:
    from .model import MODEL_REGISTRY

    return list({id(model): model for model in MODEL_REGISTRY.values()}.values())


class DatabaseBase:
    def __init__(self, url: str, echo: bool) -> None:
        self.url = url
        self.echo = echo
        dialect_name, self.target = parse_url(url)
        self.dialect: Dialect = DIALECTS[dialect_name]()
        self.in_memory = self.target == ":memory:"

    def pool_options(self, pool_size: int, pool_timeout: float, check_after_idle: float,
                     clock: Callable[[], float]) -> dict[str, Any]:
        if self.in_memory:
            # One in-memory database lives in one connection: never more, never replaced by age.
            pool_size, check_after_idle = 1, float("inf")
        return {"size": pool_size, "timeout": pool_timeout,
                "check_after_idle": check_after_idle, "clock": clock}

    def ddl_for(self, models: Iterable[Any] | None) -> list[str]:
        statements = []
        for model in creation_order(models if models is not None else all_models()):
            statements.extend(self.dialect.create_table_sql(model))
        return statements

    def drop_ddl_for(self, models: Iterable[Any] | None) -> list[str]:
        ordered = creation_order(models if models is not None else all_models())
        return [self.dialect.drop_table_sql(model) for model in reversed(ordered)]


class Database(DatabaseBase):
    """A blocking database: `Database(url, echo=False, pool_size=5, pool_timeout=30)`."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5,
                 pool_timeout: float = 30.0, check_after_idle: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(url, echo)
        if self.dialect.name == "postgresql":
            def connect() -> Any:
                return PostgresConnection(self.target, echo)
        else:
            def connect() -> Any:
                return SqliteConnection(self.target, echo)
        self.pool = Pool(connect, check=lambda c: c.check(), is_broken=lambda c: c.broken,
                         close=lambda c: c.close(),
                         **self.pool_options(pool_size, pool_timeout, check_after_idle, clock))

    def session(self):
        """A new Session; use it as `with db.session() as session:`."""
        from .session import Session

        return Session(self)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Any]:
        """A session whose work is committed when the block ends, rolled back on exception.

        This is the shape of a per-request session in a web app, written as a
        generator dependency (the framework throws the endpoint's exception into
        the generator, which rolls back)::

            def get_session():
                with db.begin() as session:
                    yield session
        """
        with self.session() as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()

    def run_ddl(self, statements: list[str]) -> None:
        with self.pool.connection() as connection:
            connection.execute("BEGIN", [])
            try:
                for statement in statements:
                    connection.execute(statement, [])
            except BaseException:
                connection.execute("ROLLBACK", [])
                raise
            connection.execute("COMMIT", [])

    def create_all(self, models: Iterable[Any] | None = None) -> None:
        """CREATE TABLE IF NOT EXISTS for every model (or `models`), in FK order."""
        self.run_ddl(self.ddl_for(models))

    def drop_all(self, models: Iterable[Any] | None = None) -> None:
        """DROP TABLE IF EXISTS for every model (or `models`), referrers first."""
        self.run_ddl(self.drop_ddl_for(models))

    def table_names(self) -> list[str]:
        """The tables that exist in the database (introspection)."""
        with self.pool.connection() as connection:
            rows, _ = connection.execute(self.dialect.table_names_sql, [])
        return [row[0] for row in rows or []]

    def dispose(self) -> None:
        """Close the pooled connections."""
        self.pool.close()


class AsyncDatabase(DatabaseBase):
    """An async database: `async with adb.session() as session: await session.exec(...)`."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5,
                 pool_timeout: float = 30.0, check_after_idle: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(url, echo)
        self.worker: SqliteWorker | None = None
        if self.dialect.name == "postgresql":
            async def connect() -> Any:
                return await AsyncPostgresConnection.open(self.target, echo)
        else:
            self.worker = SqliteWorker()

            async def connect() -> Any:
                return await AsyncSqliteConnection.open(self.target, self.worker, echo)

        async def check(connection: Any) -> bool:
            return await connection.check()

        async def close(connection: Any) -> None:
            await connection.close()

        self.pool = AsyncPool(connect, check=check, is_broken=lambda c: c.broken, close=close,
                              **self.pool_options(pool_size, pool_timeout, check_after_idle,
                                                  clock))

    def session(self):
        """A new AsyncSession; use it as `async with adb.session() as session:`."""
        from .async_session import AsyncSession

        return AsyncSession(self)

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[Any]:
        """`async with adb.begin() as session:` commits at the end, rolls back on exception."""
        async with self.session() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def run_ddl(self, statements: list[str]) -> None:
        async with self.pool.connection() as connection:
            await connection.execute("BEGIN", [])
            try:
                for statement in statements:
                    await connection.execute(statement, [])
            except BaseException:
                await connection.execute("ROLLBACK", [])
                raise
            await connection.execute("COMMIT", [])

    async def create_all(self, models: Iterable[Any] | None = None) -> None:
        await self.run_ddl(self.ddl_for(models))

    async def drop_all(self, models: Iterable[Any] | None = None) -> None:
        await self.run_ddl(self.drop_ddl_for(models))

    async def table_names(self) -> list[str]:
        async with self.pool.connection() as connection:
            rows, _ = await connection.execute(self.dialect.table_names_sql, [])
        return [row[0] for row in rows or []]

    async def dispose(self) -> None:
        """Close the pooled connections (and the SQLite worker thread)."""
        await self.pool.close()
        if self.worker is not None:
            self.worker.close()

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[AsyncDatabase]:
        try:
            yield self
        finally:
            await self.dispose()
