"""The exceptions miniorm raises, and what each one means.

Every error the ORM raises derives from `MiniORMError`, so an application can
catch "anything the database layer said" in one place. The tree, in the way
HTTPX draws its own::

    MiniORMError
    ├── ConfigurationError        a bad URL, an unsupported type, a malformed model,
    │                             a value its column's declaration refuses (an aware
    │                             datetime in a naive column)
    ├── QueryError                a query that cannot be compiled: unknown column,
    │                             unknown field in order_by("..."), bad operand
    ├── SessionError              misuse of a session
    │   ├── SessionClosedError    the session was closed and cannot run anything
    │   ├── ConcurrentUseError    two tasks (or threads) used one session at once
    │   └── NotLoadedError        a relationship read before it was loaded
    ├── NoResultFound             .one() found no row
    ├── MultipleResultsFound      .one() found more than one row
    ├── PoolTimeoutError          no connection became free in time
    └── DatabaseError             the database refused a statement
        ├── IntegrityError        a constraint was violated (unique, foreign key,
        │                         not null, check); `.constraint` names it
        ├── OperationalError      the connection was lost or could not be made;
        │                         the pool drops the connection and opens another
        └── ProgrammingError      the SQL was wrong (a table missing, a type mismatch)

`miniorm.migrations` adds one more below MiniORMError, `MigrationError`: a
revision chain that is broken or branched, or a database at a revision the
migrations folder does not know.

The driver exceptions (psycopg's and sqlite3's) are translated at one place,
`miniorm.drivers`, and kept as `__cause__`, so the original message is one
`raise ... from` away.
"""

from __future__ import annotations


class MiniORMError(Exception):
    """Base of every exception miniorm raises."""


class ConfigurationError(MiniORMError):
    """The setup is wrong: a database URL, a model declaration, a field type."""


class QueryError(MiniORMError):
    """A query cannot be built or compiled as written."""


class SessionError(MiniORMError):
    """A session was used in a way it does not allow."""


class SessionClosedError(SessionError):
    """The session is closed; open a new one with `db.session()`."""


class ConcurrentUseError(SessionError):
    """Two tasks or threads used the same session at the same time."""


class NotLoadedError(SessionError):
    """A relationship was read before the session loaded it."""


class NoResultFound(MiniORMError):
    """`.one()` was called and the query returned no row."""


class MultipleResultsFound(MiniORMError):
    """`.one()` was called and the query returned more than one row."""


class PoolTimeoutError(MiniORMError):
    """Every pooled connection stayed busy for longer than the pool's timeout."""


class DatabaseError(MiniORMError):
    """The database refused a statement. `sql` and `params` say which."""

    def __init__(self, message: str, *, sql: str | None = None, params: object = None) -> None:
        super().__init__(message)
        self.sql = sql
        self.params = params


class IntegrityError(DatabaseError):
    """A constraint was violated.

    `kind` is one of "unique", "foreign_key", "not_null", "check" or "unknown";
    `constraint` is the constraint's name when the database tells it (PostgreSQL
    always does; SQLite names the columns instead, as "table.column").
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "unknown",
        constraint: str | None = None,
        sql: str | None = None,
        params: object = None,
    ) -> None:
        super().__init__(message, sql=sql, params=params)
        self.kind = kind
        self.constraint = constraint


class OperationalError(DatabaseError):
    """The connection failed: the server went away, the network broke, a timeout hit."""


class ProgrammingError(DatabaseError):
    """The statement is wrong for this database: a missing table, a bad type."""
