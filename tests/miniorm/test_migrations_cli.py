"""`python -m miniorm.migrations`, run as a person runs it: a subprocess in a project folder.

The walk: init, revision --autogenerate, check (refuses before upgrade), upgrade, current,
check (agrees), a model change that check catches (exit 1), a second revision,
history, heads, upgrade --sql, downgrade, and a branch that upgrade refuses.
On SQLite (a file) and on PostgreSQL (DATABASE_URL, read by env.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

MODELS = '''
from miniorm import Field, Model


class Shelf(Model):
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(unique=True, max_length=40)


class Item(Model):
    id: int | None = Field(default=None, primary_key=True)
    shelf_id: int = Field(foreign_key="shelf.id", on_delete="CASCADE", index=True)
    name: str
'''


def run(folder: Path, url: str, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": url,
                   "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "miniorm.migrations", *arguments], cwd=folder,
                          env=environment, capture_output=True, text=True, timeout=60)


@pytest.fixture
def project(tmp_path, database_url, backend):
    """A project folder with a models module; the database URL of the parametrized backend."""
    (tmp_path / "shop_models.py").write_text(MODELS)
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}" if backend == "sqlite" else database_url
    return tmp_path, url


@pytest.mark.slow
def test_the_command_line_walk_from_init_to_downgrade(project):
    folder, url = project
    assert run(folder, url, "init", "--models", "shop_models").returncode == 0
    assert "shop_models" in (folder / "migrations" / "env.py").read_text()
    again = run(folder, url, "init", "--models", "shop_models")
    assert again.returncode == 2 and "exists already" in again.stderr

    first = run(folder, url, "revision", "-m", "shelves and items", "--autogenerate")
    assert first.returncode == 0, first.stderr
    [first_file] = (folder / "migrations" / "versions").glob("*.py")
    text = first_file.read_text()
    assert "op.create_table(" in text and "'shelf'" in text and "op.drop_table('item')" in text
    first_id = re.search(r"revision = '(\w+)'", text).group(1)

    early = run(folder, url, "check")
    assert early.returncode == 1 and "run upgrade head first" in early.stderr

    upgraded = run(folder, url, "-v", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert 'CREATE TABLE "shelf"' in upgraded.stdout  # -v prints each statement run
    assert f"upgrade base -> {first_id}: shelves and items" in upgraded.stdout
    assert run(folder, url, "current").stdout.strip() == f"{first_id} (head)"
    agreed = run(folder, url, "check")
    assert agreed.returncode == 0 and "agree" in agreed.stdout

    (folder / "shop_models.py").write_text(MODELS + "    stock: int = 0\n")
    differs = run(folder, url, "check")
    assert differs.returncode == 1
    assert "op.add_column('item', op.column('stock', 'int', nullable=False" in differs.stdout

    second = run(folder, url, "revision", "-m", "stock", "--autogenerate")
    assert second.returncode == 0, second.stderr
    assert run(folder, url, "upgrade", "head").returncode == 0
    assert run(folder, url, "check").returncode == 0

    history = run(folder, url, "history").stdout.splitlines()
    assert len(history) == 2 and history[0].endswith("(head): stock")
    assert history[1] == f"base -> {first_id}: shelves and items"
    assert run(folder, url, "heads").stdout.strip().endswith(": stock")

    script = run(folder, url, "upgrade", "--sql", "head")
    assert script.returncode == 0 and 'ADD COLUMN "stock"' in script.stdout

    down = run(folder, url, "downgrade", "-1")
    assert down.returncode == 0, down.stderr
    assert run(folder, url, "current").stdout.strip() == first_id


@pytest.mark.slow
def test_the_command_line_refuses_a_branch_with_exit_status_1(project):
    folder, url = project
    run(folder, url, "init", "--models", "shop_models")
    run(folder, url, "revision", "-m", "first", "--autogenerate")
    versions = folder / "migrations" / "versions"
    (versions / "aaaa_alice.py").write_text(branch("aaaa", versions))
    (versions / "bbbb_bob.py").write_text(branch("bbbb", versions))
    refused = run(folder, url, "upgrade")
    assert refused.returncode == 1
    assert "2 heads" in refused.stderr and "aaaa_alice.py" in refused.stderr
    assert sorted(line.split(":")[0] for line in
                  run(folder, url, "heads").stdout.splitlines()) == ["aaaa", "bbbb"]


def branch(revision: str, versions: Path) -> str:
    [first] = versions.glob("*_first.py")
    parent = re.search(r"revision = '(\w+)'", first.read_text()).group(1)
    return (f'"""branch {revision}"""\nrevision = {revision!r}\ndown_revision = {parent!r}\n\n'
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n")


@pytest.mark.slow
def test_a_missing_migrations_folder_is_explained(tmp_path):
    result = run(tmp_path, "sqlite://", "current")
    assert result.returncode == 1 and "init --models" in result.stderr


@pytest.mark.slow
def test_the_todo_readme_walk_adds_a_column_end_to_end(tmp_path, database_url, backend):
    """examples/todo/README.md, step by step, on a copy of the app (the real one stays)."""
    import shutil

    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    url = f"sqlite:///{tmp_path / 'todo.sqlite3'}" if backend == "sqlite" else database_url
    folder = ("-d", "examples/todo/migrations")
    assert run(tmp_path, url, *folder, "upgrade", "head").returncode == 0
    models = tmp_path / "examples" / "todo" / "models.py"
    text = models.read_text()
    assert "    done: bool = False\n" in text
    models.write_text(text.replace("    done: bool = False\n",
                                   "    done: bool = False\n    priority: int = 0\n", 1))
    differs = run(tmp_path, url, *folder, "check")
    assert differs.returncode == 1
    assert "op.column('priority', 'int', nullable=False, server_default='0')" in differs.stdout
    written = run(tmp_path, url, *folder, "revision", "-m", "add todo priority", "--autogenerate")
    assert written.returncode == 0, written.stderr
    [revision] = (tmp_path / "examples/todo/migrations/versions").glob("*_add_todo_priority.py")
    assert "op.drop_column('todo_item', 'priority')" in revision.read_text()
    script = run(tmp_path, url, *folder, "upgrade", "--sql", "head")
    assert 'ADD COLUMN "priority"' in script.stdout and "NOT NULL DEFAULT 0" in script.stdout
    assert run(tmp_path, url, *folder, "upgrade", "head").returncode == 0
    assert run(tmp_path, url, *folder, "check").returncode == 0
    assert run(tmp_path, url, *folder, "downgrade", "-1").returncode == 0
    assert run(tmp_path, url, *folder, "check").returncode == 1


def test_env_py_may_choose_the_models_by_hand(tmp_path):
    from miniorm.migrations.__main__ import load_environment, target_models

    (tmp_path / "env.py").write_text(
        "MODELS_MODULE = 'unused'\nDATABASE_URL = 'sqlite://'\n"
        "def target_models():\n    from examples.todo.models import TABLES\n    return TABLES\n")
    from examples.todo.models import TABLES

    assert target_models(load_environment(tmp_path)) == TABLES


def test_a_models_module_without_models_is_explained(tmp_path):
    from miniorm.errors import MiniORMError
    from miniorm.migrations.__main__ import load_environment, target_models

    (tmp_path / "env.py").write_text("MODELS_MODULE = 'json'\nDATABASE_URL = 'sqlite://'\n")
    with pytest.raises(MiniORMError, match="'json' .* defines no Model classes"):
        target_models(load_environment(tmp_path))


def test_python_m_miniorm_migrate_is_the_same_command():
    completed = subprocess.run([sys.executable, "-m", "miniorm", "migrate", "--help"],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and "upgrade" in completed.stdout
    refused = subprocess.run([sys.executable, "-m", "miniorm", "frobnicate"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "python -m miniorm migrate" in refused.stderr
