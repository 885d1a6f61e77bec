"""miniorm: a thin ORM over psycopg 3 (PostgreSQL) and sqlite3, sync and async.

Read it in this order, each module one idea:

    fields.py         a type hint becomes a column            Field, Column
    model.py          a class becomes a table                 Model
    relationships.py  rows of another table, loaded on request Relationship, selectinload
    expressions.py    operators build trees, not booleans      func, and_, or_
    query.py          select / insert / update / delete        select, insert, update, delete
    compiler.py       query -> (sql, params), pure             compile
    dialects.py       where PostgreSQL and SQLite differ
    unit_of_work.py   what a session remembers and must write  (pure)
    results.py        rows shaped as instances, values, tuples  Result
    drivers.py        psycopg and sqlite3, errors translated   (the I/O)
    pool.py           lending connections
    session.py        the blocking session                     Session
    async_session.py  the async session; why no greenlets      AsyncSession
    database.py       URLs, create_all, sessions               Database, AsyncDatabase
    errors.py         the exception tree                       errors

It imports nothing of the other ministack packages.

    from miniorm import Database, Field, Model, select

    class User(Model):
        id: int | None = Field(default=None, primary_key=True)
        email: str = Field(unique=True)

    db = Database("sqlite://")
    db.create_all()
    with db.session() as session:
        session.add(User(email="ada@example.com"))
        session.commit()
        print(session.exec(select(User)).all())
"""

from . import errors
from .async_session import AsyncSession
from .compiler import compile
from .database import AsyncDatabase, Database
from .errors import IntegrityError
from .expressions import and_, escape_like, func, or_
from .fields import Field
from .model import Model
from .query import delete, insert, select, update
from .relationships import Relationship, selectinload
from .session import Session

__all__ = [
    "AsyncDatabase", "AsyncSession", "Database", "Field", "IntegrityError", "Model",
    "Relationship", "Session", "and_", "compile", "escape_like", "delete", "errors", "func", "insert", "or_",
    "select", "selectinload", "update",
]
