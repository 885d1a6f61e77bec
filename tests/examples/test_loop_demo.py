"""examples/loop_demo.py runs as the README's Quick start says, and narrates the
steps of an echo exchange in the order the loop performs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from examples import loop_demo

ROOT = Path(__file__).resolve().parents[2]


def steps_of(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line.strip()]


def test_main_narrates_accept_readable_data_write_and_echoes_every_message(capsys):
    loop_demo.main()
    output = capsys.readouterr().out
    steps = steps_of(output)
    assert steps[:2] == ["loop", "listen"]
    assert "minihttp.loop.EventLoop" in output
    # Each message: the server sees the fd readable, reads, writes; the client gets it back.
    for message in (b"hello", b"event loop"):
        assert f"received {message!r}" in output
        assert f"client got {message!r} back" in output
    exchange = [step for step in steps if step in ("readable", "data", "write", "reply")]
    assert exchange == ["readable", "data", "write", "reply"] * 2 + ["readable"]
    assert steps.index("accept") < steps.index("data")
    assert steps[-2:] == ["close", "done"]


def test_the_demo_echoes_whatever_messages_it_is_given(capsys):
    import asyncio

    asyncio.run(loop_demo.demo([b"one", b"two", b"three"]))  # any asyncio loop works
    output = capsys.readouterr().out
    assert [line for line in output.splitlines() if line.startswith("reply")] == [
        "reply     client got b'one' back",
        "reply     client got b'two' back",
        "reply     client got b'three' back",
    ]


@pytest.mark.slow
def test_python_dash_m_examples_loop_demo_runs_and_exits_by_itself():
    finished = subprocess.run(
        [sys.executable, "-m", "examples.loop_demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert steps_of(finished.stdout)[-1] == "done"
