"""benchmarks.per_request: both servers answer through the stand-in transport, and the
counts come out. Correctness only: no assertion reads a number as fast or slow."""

from __future__ import annotations

import re
import shutil

import pytest

from benchmarks import per_request


@pytest.mark.parametrize("server", per_request.SERVERS)
@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_each_server_answers_the_hello_request_in_process(server, loop_name, capsys):
    assert per_request.main(["--server", server, "--loop", loop_name,
                             "--requests", "20", "--batches", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(rf"{server} +on {loop_name} +\d+\.\d\d µs per request", line), line


def test_minihttp_on_its_own_loop_is_measured_and_uvicorn_is_not_offered_it(capsys):
    per_request.main(["--loop", "mini", "--requests", "20", "--batches", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("minihttp  on mini")


@pytest.mark.slow
def test_callgrind_counts_instructions_per_request(capsys):
    assert shutil.which("valgrind"), "valgrind is on every machine of this project's kind"
    per_request.main(["--server", "minihttp", "--loop", "asyncio", "--callgrind"])
    line = capsys.readouterr().out.strip()
    count = int(re.fullmatch(r"minihttp +on asyncio +([\d,]+) instructions per request",
                             line).group(1).replace(",", ""))
    assert count > 1000  # a request costs thousands of instructions, whatever the machine
