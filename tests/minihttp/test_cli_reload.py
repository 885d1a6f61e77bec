"""minihttp.reload.FileWatcher: what counts as a change for --reload (no processes, no sleeping).

Modification times are set explicitly with os.utime, so no test waits for the
clock to tick.
"""

from __future__ import annotations

import os

from minihttp.reload import FileWatcher


def touch(path, mtime: float) -> None:
    path.write_text(path.read_text() if path.exists() else "x = 1\n")
    os.utime(path, (mtime, mtime))


def test_nothing_changed_reports_nothing(tmp_path):
    touch(tmp_path / "app.py", 1000)
    watcher = FileWatcher([tmp_path])
    assert watcher.changed() == []


def test_a_touched_file_is_reported_once(tmp_path):
    app = tmp_path / "app.py"
    touch(app, 1000)
    watcher = FileWatcher([tmp_path])
    touch(app, 2000)
    assert watcher.changed() == [str(app)]
    assert watcher.changed() == []  # reported once, then the new time is the baseline


def test_new_and_deleted_files_are_changes(tmp_path):
    old = tmp_path / "old.py"
    touch(old, 1000)
    watcher = FileWatcher([tmp_path])
    new = tmp_path / "pkg" / "new.py"
    new.parent.mkdir()
    touch(new, 1000)
    old.unlink()
    assert watcher.changed() == sorted([str(old), str(new)])


def test_other_suffixes_and_skipped_directories_are_ignored(tmp_path):
    watcher = FileWatcher([tmp_path])
    touch(tmp_path / "notes.txt", 1000)
    for skipped in ("__pycache__", ".git", ".venv"):
        (tmp_path / skipped).mkdir()
        touch(tmp_path / skipped / "module.py", 1000)
    assert watcher.changed() == []


def test_no_directories_means_the_current_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    touch(tmp_path / "here.py", 1000)
    watcher = FileWatcher([])
    touch(tmp_path / "here.py", 3000)
    assert watcher.changed() == [str(tmp_path.resolve() / "here.py")]
