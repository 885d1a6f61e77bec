"""Settings from environment variables, read once when the app is built.

Configuration lives in the environment, not in code (the twelve-factor app):
the same code runs on a laptop with SQLite and in production with PostgreSQL.

    DATABASE_URL           sqlite:///todo.sqlite3 (default) or postgresql://...
    SECRET_KEY             the HMAC key that signs tokens; set it in production
    ACCESS_TOKEN_MINUTES   15 by default: a stolen access token is short-lived
    REFRESH_TOKEN_DAYS     14 by default: how long "stay logged in" lasts
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass

MINIMUM_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///todo.sqlite3"
    secret_key: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    issuer: str = "ministack-todo"
    audience: str = "ministack-todo-api"

    @classmethod
    def from_environment(cls, environ=os.environ) -> Settings:
        secret = environ.get("SECRET_KEY", "")
        if not secret:
            # Tokens signed with a per-process key die with the process: fine on a laptop.
            secret = secrets.token_urlsafe(MINIMUM_SECRET_BYTES)
            print("todo: SECRET_KEY is not set; tokens will not survive a restart",
                  file=sys.stderr)
        elif len(secret.encode()) < MINIMUM_SECRET_BYTES:
            raise ValueError(f"SECRET_KEY has {len(secret.encode())} bytes; use at least "
                             f"{MINIMUM_SECRET_BYTES}, e.g. python -c 'import secrets; "
                             "print(secrets.token_urlsafe(32))'")
        return cls(
            database_url=environ.get("DATABASE_URL", cls.database_url),
            secret_key=secret,
            access_token_minutes=int(environ.get("ACCESS_TOKEN_MINUTES", 15)),
            refresh_token_days=int(environ.get("REFRESH_TOKEN_DAYS", 14)),
        )
