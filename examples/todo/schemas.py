"""What crosses the HTTP boundary, as miniasgi models: requests in, responses out.

Input and output are separate classes on purpose. `UserOut` has no
`password_hash`, and endpoints declare `response_model=UserOut`, so even an
endpoint that returns the whole database row cannot leak the hash: the
framework keeps only the fields the response model names.
"""

from __future__ import annotations

import datetime
from typing import Annotated

from miniasgi import Field, Model

Title = Annotated[str, Field(min_length=1, max_length=200)]


class UserCreate(Model):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    password: str = Field(min_length=8, max_length=1024)
    full_name: str | None = Field(default=None, max_length=200)


class UserOut(Model):
    id: int
    email: str
    full_name: str | None = None
    roles: str
    created_at: datetime.datetime


class TodoCreate(Model):
    model_config = {"extra": "forbid"}
    title: Title
    description: str | None = None
    done: bool = False


class TodoReplace(TodoCreate):
    """PUT: the whole todo, every field given (RFC 9110 §9.3.4)."""

    description: str | None
    done: bool


class TodoPatch(Model):
    """PATCH: only the fields sent change (RFC 5789)."""

    model_config = {"extra": "forbid"}
    title: Title | None = None
    description: str | None = None
    done: bool | None = None


class TodoOut(Model):
    id: int
    title: str
    description: str | None = None
    done: bool
    owner_id: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TodoPage(Model):
    items: list[TodoOut]
    total: int
    limit: int
    offset: int


class TokenOut(Model):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class RefreshRequest(Model):
    refresh_token: str
