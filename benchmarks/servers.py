"""Start a server under test in its own process, pinned to one CPU, and stop it.

Every server benchmark runs the server as a separate process so that the load
generator (another process, pinned to the other core) measures what a real
client would see. The server is pinned with `taskset` when it exists: one
process serves one core (DESIGN.md, "Scale"), and pinning keeps the scheduler
from moving it onto the generator's core halfway through a run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class ServerSpec:
    """A server and how it runs: "minihttp" or "uvicorn", its loop and HTTP parser."""

    server: str  # "minihttp" | "uvicorn"
    loop: str  # "mini" | "asyncio" | "uvloop"
    http: str = ""  # uvicorn's --http: "httptools" | "h11"; minihttp has its own parser
    workers: int = 1

    @property
    def name(self) -> str:
        parts = [self.server] + ([self.http] if self.http else []) + [self.loop]
        if self.workers > 1:
            parts.append(f"{self.workers} workers")
        return " ".join(parts)

    def command(self, app: str, port: int) -> list[str]:
        common = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                  "--no-access-log"]
        if self.server == "minihttp":
            command = [sys.executable, "-m", "minihttp", app, "--loop", self.loop, *common]
        elif self.server == "uvicorn":
            command = [sys.executable, "-m", "uvicorn", app, "--loop", self.loop,
                       "--http", self.http, *common]
        else:
            raise ValueError(f"unknown server {self.server!r}: choose minihttp or uvicorn")
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        return command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pin(command: list[str], cpus: str | None) -> list[str]:
    if cpus and shutil.which("taskset"):
        return ["taskset", "-c", cpus, *command]
    return command


@contextlib.contextmanager
def running_server(spec: ServerSpec, app: str, *, cpus: str | None, startup_timeout=20.0,
                   environment: dict[str, str] | None = None):
    """Start the server, wait until it accepts connections, yield its port, then stop it.

    `environment` adds variables to the server's environment (DATABASE_URL, say).
    """
    port = free_port()
    process = subprocess.Popen(
        pin(spec.command(app, port), cpus),
        cwd=REPO_ROOT,
        env={**os.environ, **(environment or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_until_listening(process, port, startup_timeout, spec.name)
        yield port
    finally:
        stop(process)


def wait_until_listening(process: subprocess.Popen, port: int, timeout: float, name: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"{name} exited with code {process.returncode} at startup:\n{errors}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on port {port} within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.stderr:
        process.stderr.close()


def server_pid(port: int) -> int:
    """The pid of the process listening on `port` (the server, not taskset's wrapper)."""
    wanted = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[1].endswith(wanted) and fields[3] == "0A":  # 0A: LISTEN
                    inodes.add(fields[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    raise RuntimeError(f"no process listens on port {port}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process `pid` has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        # Fields 14 and 15 (utime, stime) in clock ticks; the name (field 2) may hold
        # spaces, so count from after its closing parenthesis.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
