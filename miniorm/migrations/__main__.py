"""python -m miniorm.migrations: the command line.

    python -m miniorm.migrations init --models app.models     a migrations/ folder
    python -m miniorm.migrations revision -m "add priority" [--autogenerate]
    python -m miniorm.migrations upgrade [head | REV | +N]    run revisions forward
    python -m miniorm.migrations upgrade --sql [FROM:]TO      print the SQL instead
    python -m miniorm.migrations downgrade [REV | -N | base]  run revisions back
    python -m miniorm.migrations current | history | heads
    python -m miniorm.migrations check     exit 1 when the models and migrations disagree
    python -m miniorm.migrations stamp REV record REV without running anything

Options before the command: `-d DIR` (the folder, default ./migrations) and
`--url URL` (default: DATABASE_URL from env.py, which reads the environment).
Exit status: 0 done, 1 a difference found (check) or a migration error, 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from ..database import Database, parse_url
from ..dialects import DIALECTS
from ..errors import MiniORMError
from .autogenerate import compare_models, render_body
from .runner import Migrator, offline_sql
from .script import ScriptDirectory

ENV_TEMPLATE = '''"""Migration environment: which models to compare, which database to migrate.

`python -m miniorm.migrations` imports this file. MODELS_MODULE names the
module whose Model classes autogenerate compares with the database;
DATABASE_URL is read from the environment (twelve-factor), with a default
for a laptop. Define `target_models()` returning a list instead, to choose
the models by hand.
"""

import os

MODELS_MODULE = {models}
DATABASE_URL = os.environ.get("DATABASE_URL", {url})
'''


def load_environment(directory: Path) -> Any:
    path = directory / "env.py"
    if not path.is_file():
        raise MiniORMError(f"{path} does not exist: run `python -m miniorm.migrations -d "
                           f"{directory} init --models MODULE` first")
    spec = importlib.util.spec_from_file_location(f"miniorm_env_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def target_models(environment: Any) -> list[Any]:
    """The models env.py names: `target_models()` if defined, else MODELS_MODULE's classes."""
    if hasattr(environment, "target_models"):
        return list(environment.target_models())
    from ..model import MODELS_BY_MODULE

    name = environment.MODELS_MODULE
    importlib.import_module(name)
    models = list(MODELS_BY_MODULE.get(name, {}).values())
    if not models:
        raise MiniORMError(f"module {name!r} (MODELS_MODULE in env.py) defines no Model "
                           "classes: name the module where the app's models are defined")
    return models


def command_init(arguments: argparse.Namespace) -> int:
    directory = Path(arguments.directory)
    if (directory / "env.py").exists():
        print(f"init: {directory}/env.py exists already; nothing changed", file=sys.stderr)
        return 2
    (directory / "versions").mkdir(parents=True, exist_ok=True)
    (directory / "env.py").write_text(ENV_TEMPLATE.format(
        models=json.dumps(arguments.models),
        url=json.dumps(arguments.url or "sqlite:///app.sqlite3")))
    print(f"created {directory}/env.py and {directory}/versions/; next: "
          f"python -m miniorm.migrations -d {directory} revision -m 'first' --autogenerate")
    return 0


class Context:
    """What every other command needs: the folder, env.py, and (when asked) a database."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.directory = Path(arguments.directory)
        self.scripts = ScriptDirectory(self.directory)
        self.environment = load_environment(self.directory)
        self.url = arguments.url or self.environment.DATABASE_URL
        self.log = print if arguments.verbose else None
        self.database: Database | None = None

    def open(self) -> Database:
        """The database, opened on first use (offline --sql never opens it)."""
        if self.database is None:
            self.database = Database(self.url, pool_size=1)
        return self.database

    def migrator(self, connection: Any) -> Migrator:
        return Migrator(connection, self.open().dialect, self.scripts, log=self.log)


def describe(steps: list) -> None:
    for revision, direction in steps:
        arrow = f"{revision.down_revision or 'base'} -> {revision.revision}"
        if direction == "downgrade":
            arrow = f"{revision.revision} -> {revision.down_revision or 'base'}"
        print(f"{direction} {arrow}: {revision.message}")


def command_move(context: Context, arguments: argparse.Namespace) -> int:
    direction = arguments.command
    if arguments.sql:
        start, _, target = arguments.target.rpartition(":")
        dialect = DIALECTS[parse_url(context.url)[0]]()
        print(offline_sql(context.scripts, dialect, target, direction, start or None), end="")
        return 0
    database = context.open()
    with database.pool.connection() as connection:
        migrator = context.migrator(connection)
        steps = migrator.move(arguments.target, direction)
        describe(steps)
        if not steps:
            print(f"nothing to do: the database is at {migrator.current() or 'base'}")
    return 0


def command_revision(context: Context, arguments: argparse.Namespace) -> int:
    upgrade_body = downgrade_body = "    pass"
    if arguments.autogenerate:
        diff = autogenerate_diff(context)
        if diff.is_empty():
            print("autogenerate found no differences; writing an empty revision")
        upgrade_body = render_body(diff.upgrade, diff.notes)
        downgrade_body = render_body(diff.downgrade)
        for note in diff.notes:
            print(f"NOTE: {note}")
    path = context.scripts.write_revision(arguments.message, upgrade_body, downgrade_body)
    print(f"wrote {path}: read it before you run upgrade")
    return 0


def autogenerate_diff(context: Context):
    database = context.open()
    with database.pool.connection() as connection:
        migrator = context.migrator(connection)
        here, head = migrator.current(), context.scripts.head()
        if here != head:
            raise MiniORMError(
                f"the database is at {here or 'base'} but the newest revision is {head}: run "
                "upgrade head first, so the comparison starts from the latest revision"
            )
        from .introspect import inspect_schema

        live = inspect_schema(connection, database.dialect)
    return compare_models(target_models(context.environment), live, database.dialect)


def command_check(context: Context, arguments: argparse.Namespace) -> int:
    diff = autogenerate_diff(context)
    if diff.is_empty():
        print("the models and the migrations agree")
        return 0
    print("the models differ from the schema the migrations make; a new revision would run:")
    print(render_body(diff.upgrade))
    return 1


def command_current(context: Context, arguments: argparse.Namespace) -> int:
    database = context.open()
    with database.pool.connection() as connection:
        here = context.migrator(connection).current()
    heads = context.scripts.heads()
    suffix = " (head)" if here in heads else ""
    print(f"{here or 'base'}{suffix}")
    return 0


def command_history(context: Context, arguments: argparse.Namespace) -> int:
    for revision in reversed(context.scripts.chain()):
        head = " (head)" if revision.revision in context.scripts.heads() else ""
        print(f"{revision.down_revision or 'base'} -> {revision.revision}{head}: "
              f"{revision.message}")
    return 0


def command_heads(context: Context, arguments: argparse.Namespace) -> int:
    revisions = context.scripts.revisions()
    for head in context.scripts.heads():
        print(f"{head}: {revisions[head].message}")
    return 0


def command_stamp(context: Context, arguments: argparse.Namespace) -> int:
    database = context.open()
    with database.pool.connection() as connection:
        context.migrator(connection).stamp(arguments.target)
    print(f"recorded {arguments.target} as the database's revision (nothing was run)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m miniorm.migrations",
                                     description="versioned schema migrations for miniorm")
    parser.add_argument("-d", "--directory", default="migrations", help="the migrations folder")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL from env.py)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each statement run")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create the migrations folder and env.py")
    init.add_argument("--models", required=True, help="the module defining the app's models")
    revision = commands.add_parser("revision", help="write a new revision file")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true",
                          help="compare the models with the database and write the operations")
    upgrade = commands.add_parser("upgrade", help="run revisions forward")
    upgrade.add_argument("target", nargs="?", default="head")
    upgrade.add_argument("--sql", action="store_true", help="print the SQL, run nothing")
    downgrade = commands.add_parser("downgrade", help="run revisions back")
    downgrade.add_argument("target", help="REV, -N or base")
    downgrade.add_argument("--sql", action="store_true", help="print the SQL (FROM:TO)")
    for name, text in (("current", "the database's revision"), ("history", "the chain"),
                       ("heads", "the newest revisions"),
                       ("check", "exit 1 if the models and the migrations disagree")):
        commands.add_parser(name, help=text)
    stamp = commands.add_parser("stamp", help="record a revision without running it")
    stamp.add_argument("target")
    return parser


COMMANDS = {
    "upgrade": command_move, "downgrade": command_move, "revision": command_revision,
    "check": command_check, "current": command_current, "history": command_history,
    "heads": command_heads, "stamp": command_stamp,
}


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # env.py names the app's modules relative to where we run
    try:
        if arguments.command == "init":
            return command_init(arguments)
        context = Context(arguments)
        try:
            return COMMANDS[arguments.command](context, arguments)
        finally:
            if context.database is not None:
                context.database.dispose()
    except MiniORMError as error:
        print(f"{arguments.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
