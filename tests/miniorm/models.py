"""The models every miniorm test shares (one module: the model registry is global)."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid

from miniorm import Field, Model, Relationship
from miniorm.model import forget_models


class User(Model):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=255)
    name: str = ""
    age: int | None = None
    password_hash: str = ""
    created_at: datetime.datetime = Field(default_factory=datetime.datetime.now)
    todos: list[Todo] = Relationship()


class Todo(Model):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    done: bool = False
    owner_id: int = Field(foreign_key="user.id", on_delete="CASCADE", index=True)
    owner: User | None = Relationship()


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Everything(Model):
    """One column of every supported type, all nullable, for round-trip tests."""

    id: int | None = Field(default=None, primary_key=True)
    integer: int | None = None
    real: float | None = None
    text: str | None = None
    flag: bool | None = None
    blob: bytes | None = None
    moment: datetime.datetime | None = None
    aware_moment: datetime.datetime | None = Field(default=None, timezone=True)
    day: datetime.date | None = None
    amount: decimal.Decimal | None = None
    token: uuid.UUID | None = None
    document: dict | None = None
    items: list | None = None
    color: Color | None = None


class Tag(Model):
    """A model whose key is not generated: the caller chooses it."""

    __tablename__ = "tags"
    code: str = Field(primary_key=True)
    label: str = ""


TEST_MODELS = [User, Todo, Everything, Tag]

# These tables are the tests' own: keep them out of other apps' create_all().
forget_models(*TEST_MODELS)
