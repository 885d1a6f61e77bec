"""Pre-fork workers: one supervisor, N serving processes, one listening socket.

Python runs one thread of bytecode at a time (the GIL), so one process serves
one core. To use N cores the supervisor binds the listening socket *once*, then
``fork()``s N children; each child inherits the socket, runs its own event
loop, and accepts from the same kernel queue, so the kernel spreads
connections over whichever child is ready. This is the design of Apache's
prefork MPM and of Gunicorn. (The other design, SO_REUSEPORT with one socket
per worker, spreads connections by a hash instead, and loses the connections
queued on a worker's socket when that worker dies.)

The supervisor itself serves nothing. It:

- restarts a worker that dies (a crash must not shrink the server), except
  when a worker fails at startup (bad import, failed lifespan startup): then
  restarting would only fail again, so everything stops with that status;
- with --reload, restarts the worker whenever a watched .py file changes
  (:mod:`minihttp.reload`); a worker that fails to start waits for the next
  change instead of stopping the supervisor, so a typo can be fixed live;
- on SIGINT or SIGTERM, passes SIGTERM to every worker (each shuts down
  gracefully, see :mod:`minihttp.main`), waits for them, and exits 0.

The app is imported in the children only, after the fork, so every restart
imports the current code and the supervisor stays small.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import time

from minihttp.config import Config
from minihttp.main import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_STARTUP_FAILED,
    bind_socket,
    serve,
    startup_line,
)

logger = logging.getLogger("minihttp.error")

POLL_INTERVAL = 0.5  # seconds between checks for dead workers and changed files


class Supervisor:
    """Owns the listening socket and keeps `config.workers` children serving on it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.workers: set[int] = set()
        self.stopping = False
        self.exit_status = EXIT_OK
        self.wake_reader, self.wake_writer = os.pipe()

    def run(self) -> int:
        config = self.config
        listening_socket = bind_socket(config)
        self.listening_socket = listening_socket
        watcher = None
        if config.reload:
            from minihttp.reload import FileWatcher

            watcher = FileWatcher(config.reload_dirs or [os.getcwd()])
        count = 1 if config.reload and config.workers == 1 else config.workers
        logger.info(startup_line(config, listening_socket, workers=count)
                    + (" [reload on]" if watcher else ""))
        self.install_signal_handlers()
        try:
            for _ in range(count):
                self.spawn()
            while not self.stopping:
                self.wait_for_event()
                self.reap(restart=watcher is None)
                changed = watcher.changed() if watcher is not None and not self.stopping else []
                if changed:
                    logger.info("reloading: %s changed", ", ".join(changed[:3]))
                    self.stop_workers()
                    for _ in range(count):
                        self.spawn()
        finally:
            self.stop_workers()
            listening_socket.close()
            os.close(self.wake_reader)
            os.close(self.wake_writer)
        return self.exit_status

    def install_signal_handlers(self) -> None:
        os.set_blocking(self.wake_writer, False)
        signal.set_wakeup_fd(self.wake_writer)
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, self.on_stop_signal)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes wait_for_event via the pipe

    def on_stop_signal(self, signal_number: int, frame: object) -> None:
        logger.info("supervisor got %s: stopping the workers", signal.Signals(signal_number).name)
        self.stopping = True

    def wait_for_event(self) -> None:
        """Sleep until a signal arrives or the poll interval passes."""
        readable, _, _ = select.select([self.wake_reader], [], [], POLL_INTERVAL)
        if readable:
            try:
                os.read(self.wake_reader, 512)
            except BlockingIOError:
                pass

    def spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the child: become a plain serving process
            status = EXIT_CONFIG
            try:
                signal.set_wakeup_fd(-1)
                for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
                    signal.signal(signal_number, signal.SIG_DFL)
                os.close(self.wake_reader)
                os.close(self.wake_writer)
                status = serve(self.config, self.listening_socket)
            except BaseException:
                logger.exception("worker %d crashed", os.getpid())
            finally:
                logging.shutdown()
                os._exit(status)
        self.workers.add(pid)
        logger.info("started worker %d", pid)

    def reap(self, restart: bool) -> None:
        """Collect exited workers; restart them unless they failed at startup."""
        while self.workers:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.workers.clear()
                return
            if pid == 0:
                return
            self.workers.discard(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            if self.stopping:
                continue
            if code in (EXIT_CONFIG, EXIT_STARTUP_FAILED) and restart:
                logger.error("worker %d failed to start (exit %d): stopping", pid, code)
                self.exit_status = code
                self.stopping = True
            elif restart:
                logger.warning("worker %d died (exit %d): starting a new one", pid, code)
                self.spawn()
            else:
                logger.warning("worker %d exited (%d): waiting for a file change", pid, code)

    def stop_workers(self) -> None:
        """SIGTERM every worker and wait for each; SIGKILL those that outlive the grace time."""
        for pid in self.workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.config.timeout_graceful_shutdown + 5
        while self.workers and time.monotonic() < deadline:
            for pid in list(self.workers):
                try:
                    finished, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    finished = pid
                if finished:
                    self.workers.discard(pid)
            if self.workers:
                time.sleep(0.05)
        for pid in self.workers:
            logger.warning("worker %d did not stop in time: killing it", pid)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.workers.clear()
