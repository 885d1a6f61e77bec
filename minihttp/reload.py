"""A file watcher for --reload, from the standard library alone.

Operating systems can push file-change events (inotify on Linux, kqueue on BSD
and macOS, ReadDirectoryChangesW on Windows), and tools such as watchfiles use
them. Each has its own API and its own corner cases, so this watcher does the
portable, obvious thing instead: it polls. Every half second the supervisor
asks :meth:`FileWatcher.changed`, which walks the watched directories, reads
each ``.py`` file's modification time (one ``stat`` call per file) and compares
them with the previous walk. A file that appeared, disappeared, or has a new
mtime counts as a change.

Polling costs a little CPU per file and notices a change up to one interval
late, which is fine for development, the only place --reload belongs.
Directories that hold no source of ours are skipped: version control, caches,
virtual environments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

SKIPPED_DIRECTORIES = {".git", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".hypothesis", ".tox"}


class FileWatcher:
    """Reports which watched files changed since the last call."""

    def __init__(self, directories: Iterable[str | os.PathLike], suffixes: tuple[str, ...] = (".py",)):
        self.directories = [Path(directory).resolve() for directory in directories] or [Path.cwd()]
        self.suffixes = suffixes
        self.modification_times = self.snapshot()

    def snapshot(self) -> dict[str, float]:
        """Map every watched file to its modification time, as of now."""
        times: dict[str, float] = {}
        for directory in self.directories:
            for root, subdirectories, files in os.walk(directory):
                subdirectories[:] = [name for name in subdirectories
                                     if name not in SKIPPED_DIRECTORIES]
                for name in files:
                    if name.endswith(self.suffixes):
                        path = os.path.join(root, name)
                        try:
                            times[path] = os.stat(path).st_mtime_ns
                        except FileNotFoundError:
                            pass  # deleted between the listing and the stat
        return times

    def changed(self) -> list[str]:
        """The files added, removed or modified since the last call (sorted; [] if none)."""
        current = self.snapshot()
        previous = self.modification_times
        self.modification_times = current
        return sorted(
            path for path in current.keys() | previous.keys()
            if current.get(path) != previous.get(path)
        )
