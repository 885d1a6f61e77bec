"""Revision files, and the chain they form.

A migration is a change of the schema written down as code: a *revision*,
one Python file in `migrations/versions/`, with an id, the id of the revision
it follows (`down_revision`), and two functions: `upgrade()` moves the schema
forward one step, `downgrade()` moves it back.

    revision = "3f2a9c1b7d10"
    down_revision = "1a2b3c4d5e6f"      # None for the first revision

Why a chain and not a list of numbered files: each revision names its parent,
so the order is in the files themselves, and two people who each add a
revision on their own branch produce two files with the *same* parent, which
is visible: the chain has forked into two *heads*. Numbered files would have
silently interleaved. A database records only the id of its last applied
revision (runner.py's version table); the chain tells which revisions lie
between that id and any target, in which order.

`ScriptDirectory.chain()` refuses, with a message saying how to fix it:

- two heads (a fork: make one revision follow the other by editing its
  down_revision, then check both still apply);
- a down_revision that names no file (a revision was deleted or not committed);
- two files with the same id, or two first revisions.

The ids are random (12 hex digits of a UUID4), so two branches never pick
the same one, as a counter would.
"""

from __future__ import annotations

import datetime
import importlib.util
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .schema import MigrationError

REVISION_ID = re.compile(r"^[A-Za-z0-9_]{1,32}$")
REVISION_TEMPLATE = '''"""{message}

Revision: {revision}
Revises: {down_revision}
Created: {created}
"""

from miniorm.migrations import operations as op

revision = {revision!r}
down_revision = {down_revision!r}


def upgrade() -> None:
{upgrade_body}


def downgrade() -> None:
{downgrade_body}
'''


@dataclass
class Revision:
    revision: str
    down_revision: str | None
    message: str
    path: Path
    module: ModuleType

    def upgrade(self) -> None:
        self.module.upgrade()

    def downgrade(self) -> None:
        self.module.downgrade()


def load_revision(path: Path) -> Revision:
    module_name = f"miniorm_revision_{path.stem}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"cannot load {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise MigrationError(f"revision file {path} failed to import: {error!r}") from error
    for name in ("revision", "down_revision", "upgrade", "downgrade"):
        if not hasattr(module, name):
            raise MigrationError(f"revision file {path} has no `{name}`: a revision defines "
                                 "revision, down_revision, upgrade() and downgrade()")
    if not REVISION_ID.match(str(module.revision)):
        raise MigrationError(
            f"revision file {path} has revision = {module.revision!r}: an id is 1 to 32 "
            "letters, digits or underscores (the version table's column is VARCHAR(32))"
        )
    message = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
    return Revision(str(module.revision), module.down_revision and str(module.down_revision),
                    message, path, module)


class ScriptDirectory:
    """The migrations folder: env.py and versions/*.py."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.versions = self.directory / "versions"
        if not self.versions.is_dir():
            raise MigrationError(
                f"{self.directory} is not a migrations folder (no versions/ inside): create one "
                f"with `python -m miniorm.migrations -d {self.directory} init --models MODULE`"
            )
        self._revisions: dict[str, Revision] | None = None

    def revisions(self) -> dict[str, Revision]:
        """Every revision file, by id (loaded once)."""
        if self._revisions is None:
            found: dict[str, Revision] = {}
            for path in sorted(self.versions.glob("*.py")):
                if path.name.startswith("_"):
                    continue
                revision = load_revision(path)
                if revision.revision in found:
                    raise MigrationError(
                        f"two revision files have the id {revision.revision!r}: "
                        f"{found[revision.revision].path.name} and {path.name}; give one a new id")
                found[revision.revision] = revision
            self._revisions = found
        return self._revisions

    def heads(self) -> list[str]:
        """Revisions no other revision follows (one in a healthy folder)."""
        parents = {r.down_revision for r in self.revisions().values()}
        return sorted(rid for rid in self.revisions() if rid not in parents)

    def chain(self) -> list[Revision]:
        """The revisions from the first to the head, or a MigrationError saying what is wrong."""
        revisions = self.revisions()
        for revision in revisions.values():
            if revision.down_revision is not None and revision.down_revision not in revisions:
                raise MigrationError(
                    f"revision {revision.revision} ({revision.path.name}) follows "
                    f"{revision.down_revision}, which is not in {self.versions}: restore that "
                    "file, or point down_revision at the revision before it"
                )
        heads = self.heads()
        if len(heads) > 1:
            described = ", ".join(f"{h} ({revisions[h].path.name})" for h in heads)
            raise MigrationError(
                f"the revisions have {len(heads)} heads, {described}: two revisions follow the "
                "same parent (a branch). Set one's down_revision to the other's id so they form "
                "one chain, then run upgrade head"
            )
        bases = sorted(r.revision for r in revisions.values() if r.down_revision is None)
        if len(bases) > 1:
            raise MigrationError(f"several revisions have down_revision = None ({', '.join(bases)})"
                                 ": only the first revision may; point the others at a parent")
        ordered: list[Revision] = []
        children = {r.down_revision: r for r in revisions.values()}
        current = children.get(None)
        while current is not None:
            ordered.append(current)
            current = children.get(current.revision)
        if len(ordered) != len(revisions):  # a cycle: a -> b -> a, reachable from no base
            stray = sorted(set(revisions) - {r.revision for r in ordered})
            raise MigrationError(f"revisions {', '.join(stray)} form a loop of down_revisions")
        return ordered

    def head(self) -> str | None:
        chain = self.chain()
        return chain[-1].revision if chain else None

    def resolve(self, reference: str) -> str:
        """A full id for an id or a unique prefix of one."""
        matches = [rid for rid in self.revisions() if rid.startswith(reference)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise MigrationError(f"no revision {reference!r} in {self.versions}: "
                                 "see `history` for the ids")
        raise MigrationError(f"{reference!r} is the start of several ids ({', '.join(matches)}):"
                             " type more of it")

    def write_revision(self, message: str, upgrade_body: str = "    pass",
                       downgrade_body: str = "    pass", revision: str | None = None,
                       now: datetime.datetime | None = None) -> Path:
        """Create versions/<id>_<slug>.py following the head; return its path."""
        down_revision = self.head()
        revision = revision or uuid.uuid4().hex[:12]
        created = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
        slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "revision"
        path = self.versions / f"{revision}_{slug}.py"
        path.write_text(REVISION_TEMPLATE.format(
            message=message.replace('"""', "'''"), revision=revision,
            down_revision=down_revision, created=created,
            upgrade_body=upgrade_body, downgrade_body=downgrade_body,
        ))
        self._revisions = None
        return path
