"""python -m examples.todo: serve the todo API, or create its first admin.

    python -m examples.todo [--host H] [--port P] [--loop mini|asyncio|uvloop]
    python -m examples.todo create-admin EMAIL [--password P]

Without --password, create-admin asks for one (input hidden). The tables are
created (migrated to the newest revision) on first use in DATABASE_URL
(default: sqlite:///todo.sqlite3).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import minihttp
from miniauth.passwords import hash_password
from miniorm import Database, IntegrityError, select
from miniorm.migrations import upgrade

from .models import User
from .settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_admin(email: str, password: str | None, settings: Settings) -> int:
    password = password or getpass.getpass(f"password for {email}: ")
    if len(password) < 8:
        print("create-admin: the password needs at least 8 characters", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    upgrade(database, MIGRATIONS, "head")
    try:
        with database.begin() as session:
            existing = session.exec(select(User).where(User.email == email.lower())).first()
            if existing is not None:
                existing.roles = "user admin"
                session.add(existing)
                print(f"{email} already existed: it now has the admin role")
                return 0
            session.add(User(email=email.lower(), password_hash=hash_password(password),
                             roles="user admin"))
        print(f"created admin {email}")
        return 0
    except IntegrityError as error:
        print(f"create-admin: {error}", file=sys.stderr)
        return 1
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.todo")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "create-admin"])
    parser.add_argument("email", nargs="?", help="the admin's e-mail (create-admin)")
    parser.add_argument("--password", help="the admin's password (create-admin; else asked)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--loop", default="mini", choices=["mini", "asyncio", "uvloop"])
    arguments = parser.parse_args(argv)
    if arguments.command == "create-admin":
        if not arguments.email:
            parser.error("create-admin needs an EMAIL: python -m examples.todo create-admin EMAIL")
        return create_admin(arguments.email, arguments.password, Settings.from_environment())
    print(f"todo API: open http://{arguments.host}:{arguments.port}/docs", flush=True)
    return minihttp.run("examples.todo.main:app", host=arguments.host, port=arguments.port,
                        loop=arguments.loop)


if __name__ == "__main__":
    sys.exit(main())
