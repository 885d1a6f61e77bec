"""Waking the loop from outside: the self-pipe, signals and worker threads
(asyncio docs, "Event Loop" > "Scheduling callbacks", "Unix signals" and
"Executing code in thread or process pools").

The loop runs in one thread, and when it has nothing to do it sleeps inside
`selector.select()`. Two kinds of news come from outside that thread: other
threads (a worker in the executor has finished, a library calls
`call_soon_threadsafe`) and signals from the operating system (Ctrl+C, a
SIGTERM from a process manager). Both come in through one door, the
*self-pipe*: a connected pair of sockets whose reading end the loop watches
like any other fd (`_open_self_pipe`). One byte written into the other end
makes `select()` return at once (`_wake_up`); `_read_self_pipe` empties it.

Threads. `call_soon_threadsafe` (in minihttp.loop, beside call_soon) appends
to the ready queue, which is safe because deque.append is atomic, and then
wakes the loop. `run_in_executor` runs a plain function in a thread pool;
`asyncio.wrap_future` ties the pool's concurrent Future to an asyncio Future,
and the result crosses back through call_soon_threadsafe. Name lookups
(`getaddrinfo`, `getnameinfo`) block on DNS, so they run in the pool too.

Signals. Python runs a signal handler in the main thread between two
bytecodes, which may be in the middle of any callback: unsafe for the loop's
data. So the Python-level handler installed here does nothing
(`_ignore_signal`). Instead `signal.set_wakeup_fd` tells the C-level handler
to write the signal number into the self-pipe, and `_read_self_pipe` puts
the registered callback on the ready queue, where it runs like any other.
A 0 byte is a thread's wake-up; any other byte is a signal number.
`siginterrupt(sig, False)` lets system calls interrupted by the signal
restart instead of failing (PEP 475).

`ThreadsAndSignalsMixin` is a part of `minihttp.loop.EventLoop`. It uses the
loop's `_ready`, `_signal_handlers`, `_default_executor` and
`_executor_shutdown_called` (set in `EventLoop.__init__`, released in
`EventLoop.close`), and its `_add_internal_reader`, `create_future`,
`call_soon_threadsafe` and `_check_closed`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import socket
import threading

from minihttp.handles import Handle

__all__ = ["ThreadsAndSignalsMixin"]

logger = logging.getLogger("minihttp.loop")


class ThreadsAndSignalsMixin:
    """The self-pipe, add_signal_handler/remove_signal_handler, run_in_executor and its kin."""

    # ---- the self-pipe: wake-ups from threads and signals -----------------------------

    def _open_self_pipe(self) -> None:
        self._self_reader, self._self_writer = socket.socketpair()
        self._self_reader.setblocking(False)
        self._self_writer.setblocking(False)
        self._add_internal_reader(self._self_reader.fileno(), self._read_self_pipe)

    def _wake_up(self) -> None:
        try:
            self._self_writer.send(b"\0")
        except OSError:
            pass  # the pipe is full, so a wake-up is already pending; or we are closing

    def _read_self_pipe(self) -> None:
        while True:
            try:
                data = self._self_reader.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            if not data:
                return
            for signal_number in data:  # 0 is a thread's wake-up; others are signals
                if signal_number:
                    self._dispatch_signal(signal_number)

    # ---- signals ----------------------------------------------------------------------

    def add_signal_handler(self, sig, callback, *args) -> None:
        """Call `callback(*args)` on the loop when signal `sig` arrives (main thread only)."""
        self._check_closed()
        if asyncio.iscoroutine(callback) or asyncio.iscoroutinefunction(callback):
            raise TypeError("add_signal_handler() needs a plain function, not a coroutine")
        if sig not in signal.valid_signals():
            raise ValueError(f"invalid signal number {sig!r}")
        try:
            signal.set_wakeup_fd(self._self_writer.fileno())
        except ValueError as error:  # not the main thread
            raise RuntimeError(
                f"add_signal_handler() only works in the main thread: {error}"
            ) from None
        self._signal_handlers[sig] = Handle(callback, args, self, None)
        try:
            signal.signal(sig, _ignore_signal)
            signal.siginterrupt(sig, False)  # let system calls restart (PEP 475)
        except OSError as error:
            del self._signal_handlers[sig]
            if not self._signal_handlers:
                signal.set_wakeup_fd(-1)
            raise RuntimeError(f"cannot handle signal {sig}: {error}") from error

    def remove_signal_handler(self, sig) -> bool:
        """Restore the default action for `sig`; return whether a handler was set."""
        if self._signal_handlers.pop(sig, None) is None:
            return False
        default = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
        signal.signal(sig, default)
        if not self._signal_handlers:
            try:
                signal.set_wakeup_fd(-1)
            except ValueError:
                pass  # not the main thread: nothing was ever set from here
        return True

    def _dispatch_signal(self, signal_number: int) -> None:
        handle = self._signal_handlers.get(signal_number)
        if handle is not None:
            self._ready.append(handle)

    # ---- threads ----------------------------------------------------------------------

    def run_in_executor(self, executor, func, *args) -> asyncio.Future:
        """Run `func(*args)` in a thread pool; return a Future for its result."""
        self._check_closed()
        if asyncio.iscoroutine(func) or asyncio.iscoroutinefunction(func):
            raise TypeError("run_in_executor() runs plain functions; await coroutines instead")
        if executor is None:
            if self._executor_shutdown_called:
                raise RuntimeError("the default executor has been shut down")
            executor = self._default_executor
            if executor is None:
                executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="minihttp")
                self._default_executor = executor
        return asyncio.wrap_future(executor.submit(func, *args), loop=self)

    def set_default_executor(self, executor) -> None:
        if not isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            raise TypeError(f"the default executor must be a ThreadPoolExecutor, got {executor!r}")
        self._default_executor = executor

    async def shutdown_default_executor(self, timeout=None) -> None:
        """Wait (in a helper thread) for the default executor's threads to finish."""
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is None:
            return
        done = self.create_future()

        def shut_down() -> None:
            try:
                executor.shutdown(wait=True)
            except BaseException as error:
                self._call_soon_threadsafe_unless_closed(_set_exception_unless_done, done, error)
            else:
                self._call_soon_threadsafe_unless_closed(_set_result_unless_done, done, None)

        thread = threading.Thread(target=shut_down, name="minihttp-executor-shutdown")
        thread.start()
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            logger.warning("the default executor did not finish within %s seconds", timeout)
        self._default_executor = None

    def _call_soon_threadsafe_unless_closed(self, callback, *args) -> None:
        try:
            self.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            pass  # the loop closed meanwhile: nobody is left to tell

    async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):
        """`socket.getaddrinfo` in the executor: name lookups block, so not on the loop."""
        return await self.run_in_executor(
            None, socket.getaddrinfo, host, port, family, type, proto, flags
        )

    async def getnameinfo(self, sockaddr, flags=0):
        return await self.run_in_executor(None, socket.getnameinfo, sockaddr, flags)


def _ignore_signal(signal_number, frame) -> None:
    """The Python-level signal handler: the real work starts from the wakeup fd."""


def _set_result_unless_done(future, result) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception_unless_done(future, error) -> None:
    if not future.done():
        future.set_exception(error)
