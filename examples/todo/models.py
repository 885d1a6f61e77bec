"""The tables: users and their todos, as miniorm models.

A user's `roles` is a space-separated list ("user", "user admin"): small enough
for this app, and RBAC (security.py) reads permissions from it. Deleting a user
deletes their todos (ON DELETE CASCADE), so no todo is ever left without owner.
"""

from __future__ import annotations

import datetime

from miniorm import Field, Model


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class User(Model):
    __tablename__ = "todo_user"  # "user" is a reserved word in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)
    full_name: str | None = Field(default=None, max_length=200)
    password_hash: str
    roles: str = "user"
    created_at: datetime.datetime = Field(default_factory=utc_now, timezone=True)


class Todo(Model):
    __tablename__ = "todo_item"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="todo_user.id", on_delete="CASCADE", index=True)
    title: str = Field(max_length=200)
    description: str | None = None
    done: bool = False
    created_at: datetime.datetime = Field(default_factory=utc_now, timezone=True)
    updated_at: datetime.datetime = Field(default_factory=utc_now, timezone=True)


TABLES = [User, Todo]
