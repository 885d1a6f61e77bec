"""An asyncio event loop in pure Python, over the `selectors` module.

This is the lowest layer of minihttp: the thing that waits for the network
and decides what runs next. It is a drop-in asyncio loop, the way uvloop is
one: it implements the API of asyncio.AbstractEventLoop (asyncio docs,
"Event Loop"), so ordinary asyncio code runs on it unchanged:

    import minihttp.loop
    minihttp.loop.run(main())                                  # or:
    asyncio.Runner(loop_factory=minihttp.loop.EventLoop).run(main())

Five ideas make an event loop; each has a place below.

1. File descriptors. The kernel names every open socket with a small integer,
   a file descriptor (fd). A socket in non-blocking mode never makes us wait:
   `recv` on an empty socket raises BlockingIOError instead of sleeping, so
   one thread can serve thousands of sockets if it knows *which* ones are
   ready. (`sock_recv` in minihttp.sockets shows the pattern: try at once,
   and only if the kernel says "would block", ask to be told when it is
   readable.)

2. The selector. `selectors.DefaultSelector` is epoll on Linux and kqueue on
   BSD/macOS: we register fds with the events we care about (readable,
   writable) and one `select(timeout)` call sleeps until any of them is
   ready or the timeout passes. Registering is `EventLoop.add_reader` /
   `add_writer`; each registration carries the callback to run, a `Handle`
   (minihttp.handles).

3. The ready queue. `self._ready` is a deque of callbacks that should run
   now: `call_soon` appends to it, and so does the selector dispatch for every
   ready fd. One pass of the loop, `EventLoop._run_once`, runs exactly the
   callbacks that were queued when the pass began; anything they schedule
   waits for the next pass, so a callback that reschedules itself forever
   cannot starve the network.

4. The timer heap. `call_later` / `call_at` push `(when, sequence, handle)`
   onto a binary heap (`heapq`), so the next timer to fire is always at
   index 0. Its deadline is what `_run_once` uses as the selector timeout:
   sleep until the first timer is due, or until an fd wakes us. A cancelled
   timer is not dug out of the heap (that would be O(n)); it is skipped when
   it reaches the top (`_move_due_timers_to_ready`), and the heap is rebuilt
   only when most of it is dead (`_forget_cancelled_timers`).

5. How `await future` suspends and resumes. A coroutine is a paused
   function. `asyncio.Task` (the C-accelerated one, created in
   `EventLoop.create_task`) drives it: it calls `coroutine.send(None)`, which
   runs the coroutine until it awaits a Future that is not done yet; the
   Future yields itself up to the Task, and the Task calls
   `future.add_done_callback(task_wakeup)` and returns. Nothing of that
   coroutine runs now. Later some callback — a timer from `call_later`
   (that is `asyncio.sleep`) or a readable socket in `_retry_when_readable`
   (minihttp.sockets) — calls `future.set_result(...)`; the Future schedules its done callbacks
   with `call_soon`, and on the next pass the Task sends the result back
   into the coroutine, which continues after its `await`.

Threads talk to the loop only through `call_soon_threadsafe`, which appends
to the ready queue and writes one byte into a socket pair the selector
watches (the "self-pipe"), so a loop asleep in `select` wakes at once.
Signals use the same pipe: `signal.set_wakeup_fd` makes the C signal handler
write the signal number into it (`add_signal_handler`). Both are told in
minihttp.threads_and_signals.

Errors: a callback that raises does not stop the loop; `Handle._run` hands
the exception to `call_exception_handler`, which logs it unless the program
set its own handler. Debug mode (`loop.set_debug(True)`, `python -X dev` or
PYTHONASYNCIODEBUG=1) adds two checks: loop methods called from a foreign
thread raise, and a callback that holds the loop longer than
`slow_callback_duration` is named in the log.

A map of where each idea lives. This file is the heart: "one pass of the
loop", "scheduling callbacks" and "watching file descriptors". The rest of
the asyncio API is built on them in modules of their own, which EventLoop
takes in as mixins (one concept each; read them after this one):

    minihttp/loop.py (this file), in file order:
      running and stopping        run_forever, run_until_complete, stop, close
      one pass of the loop        _run_once and the timer heap's upkeep
      scheduling callbacks        call_soon, call_later, call_at, call_soon_threadsafe
      watching file descriptors   add_reader/add_writer: the selector's table
      futures and tasks           create_future, create_task
      errors                      the exception handler, debug mode
      asynchronous generators     shutdown_asyncgens
      left out on purpose         TLS, UDP, subprocesses: clear errors
    minihttp/handles.py           Handle, TimerHandle: a callback waiting its turn
    minihttp/threads_and_signals.py   the self-pipe, add_signal_handler,
                                  run_in_executor, getaddrinfo (ThreadsAndSignalsMixin)
    minihttp/sockets.py           sock_recv, sock_sendall, sock_accept, sock_connect,
                                  one awaited operation each (SocketOperationsMixin)
    minihttp/connections.py       Server, create_server, create_connection, the
                                  Unix variants (ServersMixin)
    minihttp/transports.py        SocketTransport: the state table, flow control,
                                  writes that try the socket first

Choices and limits: no TLS (any `ssl=` raises NotImplementedError), no
subprocesses, no UDP, no happy eyeballs (addresses are tried one after the
other); `sendfile` falls back to plain writes. Callbacks that the loop runs
for its own transports skip the `contextvars` copy that user callbacks get.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextvars
import heapq
import logging
import os
import selectors
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Coroutine
from typing import Any

from minihttp.connections import NO_TLS_MESSAGE, ServersMixin
from minihttp.handles import Handle, TimerHandle
from minihttp.sockets import SocketOperationsMixin
from minihttp.threads_and_signals import ThreadsAndSignalsMixin

__all__ = ["EventLoop", "EventLoopPolicy", "new_event_loop", "run"]

logger = logging.getLogger("minihttp.loop")

# Rebuild the timer heap when more than this many cancelled timers sit in it
# and they are more than half of it (asyncio uses the same two thresholds).
_CANCELLED_TIMERS_BEFORE_CLEANUP = 100

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class EventLoop(
    SocketOperationsMixin, ServersMixin, ThreadsAndSignalsMixin, asyncio.AbstractEventLoop
):
    """A selector event loop written from scratch; see the module docstring.

    This class is the core (scheduling and fd watching); the mixins add the
    rest of the asyncio API, one concept each: sock_* coroutines
    (minihttp.sockets), servers and connections (minihttp.connections), the
    self-pipe, signals and the executor (minihttp.threads_and_signals).
    """

    # In debug mode, callbacks that run longer than this (seconds) are logged.
    slow_callback_duration = 0.1

    def __init__(self, selector: selectors.BaseSelector | None = None) -> None:
        self._selector = selector if selector is not None else selectors.DefaultSelector()
        self._ready: collections.deque[Handle] = collections.deque()
        self._timers: list[tuple[float, int, TimerHandle]] = []
        self._timer_sequence = 0
        self._cancelled_timer_count = 0
        self._clock_resolution = time.get_clock_info("monotonic").resolution
        self._stopping = False
        self._closed = False
        self._thread_id: int | None = None
        # Debug mode follows asyncio's switches: python -X dev, or PYTHONASYNCIODEBUG=1.
        self._debug = sys.flags.dev_mode or (
            not sys.flags.ignore_environment and bool(os.environ.get("PYTHONASYNCIODEBUG"))
        )
        self._exception_handler = None
        self._task_factory = None
        self._default_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor_shutdown_called = False
        self._signal_handlers: dict[int, Handle] = {}
        self._asyncgens: weakref.WeakSet = weakref.WeakSet()
        self._asyncgens_shutdown_called = False
        self._old_asyncgen_hooks = None
        # Transports and servers alive on this loop, so close() can release them.
        self._transports: weakref.WeakSet = weakref.WeakSet()
        self._servers: weakref.WeakSet = weakref.WeakSet()
        self._open_self_pipe()

    # ---- running and stopping ---------------------------------------------------------

    def run_forever(self) -> None:
        """Run passes of the loop until `stop()` is called."""
        self._check_closed()
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if asyncio._get_running_loop() is not None:
            raise RuntimeError("Cannot run the event loop while another loop is running")
        self._thread_id = threading.get_ident()
        self._old_asyncgen_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_first_iteration, finalizer=self._asyncgen_finalize
        )
        asyncio._set_running_loop(self)
        try:
            while True:
                self._run_once()
                if self._stopping:
                    break
        finally:
            self._stopping = False
            self._thread_id = None
            asyncio._set_running_loop(None)
            sys.set_asyncgen_hooks(*self._old_asyncgen_hooks)

    def run_until_complete(self, future):
        """Run until `future` (a Future or coroutine) is done; return its result."""
        self._check_closed()
        new_task = not asyncio.isfuture(future)
        future = asyncio.ensure_future(future, loop=self)
        future.add_done_callback(self._stop_when_done)
        try:
            self.run_forever()
        except BaseException:
            if new_task and future.done() and not future.cancelled():
                future.exception()  # the caller sees the error; don't log it twice
            raise
        finally:
            future.remove_done_callback(self._stop_when_done)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()

    def _stop_when_done(self, future) -> None:
        self.stop()

    def stop(self) -> None:
        """Finish the current pass of the loop, then return from run_forever()."""
        self._stopping = True

    def is_running(self) -> bool:
        return self._thread_id is not None

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Drop pending callbacks, release sockets, the selector and the executor.

        Open transports and servers are closed without calling their
        protocols: the loop that would run those callbacks is going away.
        """
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self._closed:
            return
        self._closed = True
        for signal_number in list(self._signal_handlers):
            self.remove_signal_handler(signal_number)
        self._ready.clear()
        self._timers.clear()
        for server in list(self._servers):
            server._close_sockets()
        for transport in list(self._transports):
            transport._close_socket_quietly()
        self._selector.close()
        self._self_reader.close()
        self._self_writer.close()
        executor = self._default_executor
        if executor is not None:
            self._default_executor = None
            executor.shutdown(wait=False)

    def _check_closed(self) -> None:
        if self._closed:
            raise RuntimeError("Event loop is closed")

    def __del__(self, warn=warnings.warn) -> None:
        # Like a file, a loop holds kernel resources (the selector, the self-pipe):
        # forgetting close() is a bug worth a ResourceWarning.
        if not getattr(self, "_closed", True) and not self.is_running():
            warn(f"unclosed event loop {self!r}", ResourceWarning, source=self)
            self.close()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} running={self.is_running()} "
            f"closed={self._closed} debug={self._debug}>"
        )

    def time(self) -> float:
        """The loop's clock: `time.monotonic()`, which never jumps backwards."""
        return time.monotonic()

    # ---- one pass of the loop ---------------------------------------------------------

    def _run_once(self) -> None:
        """Wait for I/O or the next timer, then run every callback that is ready."""
        ready = self._ready
        timers = self._timers
        if ready or self._stopping:
            timeout = 0
        elif timers:
            while timers and timers[0][2]._cancelled:
                heapq.heappop(timers)
                self._cancelled_timer_count -= 1
            timeout = max(0.0, timers[0][0] - self.time()) if timers else None
        else:
            timeout = None

        for key, mask in self._selector.select(timeout):
            reader, writer = key.data
            if mask & _READ and reader is not None:
                ready.append(reader)
            if mask & _WRITE and writer is not None:
                ready.append(writer)

        if timers:
            self._move_due_timers_to_ready()

        # Only the callbacks queued before this point run in this pass.
        if self._debug:
            self._run_ready_and_report_slow_callbacks(len(ready))
            return
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _run_ready_and_report_slow_callbacks(self, count: int) -> None:
        # Debug mode: while one callback runs, nothing else can, so a slow one
        # (a blocking call, a long computation) stalls every connection. Say which.
        for _ in range(count):
            handle = self._ready.popleft()
            if handle._cancelled:
                continue
            started = self.time()
            description = repr(handle)
            handle._run()
            took = self.time() - started
            if took >= self.slow_callback_duration:
                logger.warning(
                    "Executing %s took %.3f seconds: the loop could run nothing else "
                    "meanwhile; move blocking work to loop.run_in_executor()",
                    description,
                    took,
                )

    def _move_due_timers_to_ready(self) -> None:
        timers = self._timers
        if (
            self._cancelled_timer_count > _CANCELLED_TIMERS_BEFORE_CLEANUP
            and self._cancelled_timer_count * 2 > len(timers)
        ):
            self._forget_cancelled_timers()
        # "Due" includes anything within one tick of the clock: waiting for a
        # deadline the clock cannot resolve would cost a pointless extra select.
        due_before = self.time() + self._clock_resolution
        while timers and timers[0][0] <= due_before:
            handle = heapq.heappop(timers)[2]
            if handle._cancelled:
                self._cancelled_timer_count -= 1
            else:
                self._ready.append(handle)

    def _forget_cancelled_timers(self) -> None:
        self._timers[:] = [entry for entry in self._timers if not entry[2]._cancelled]
        heapq.heapify(self._timers)
        self._cancelled_timer_count = 0

    # ---- scheduling callbacks ---------------------------------------------------------

    def call_soon(self, callback, *args, context=None) -> Handle:
        """Run `callback(*args)` on the next pass of the loop (FIFO order)."""
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if not callable(callback):
            raise TypeError(self._not_callable_message("call_soon", callback))
        if self._debug:
            self._check_thread("call_soon")
        if context is None:
            context = contextvars.copy_context()
        handle = Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(self, delay, callback, *args, context=None) -> TimerHandle:
        """Run `callback(*args)` after `delay` seconds of `loop.time()`."""
        if delay is None:
            raise TypeError("call_later() needs a delay in seconds, not None")
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when, callback, *args, context=None) -> TimerHandle:
        """Run `callback(*args)` when `loop.time()` reaches `when`.

        Timers due at the same instant run in the order they were set.
        """
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if not callable(callback):
            raise TypeError(self._not_callable_message("call_at", callback))
        if self._debug:
            self._check_thread("call_at")
        if context is None:
            context = contextvars.copy_context()
        handle = TimerHandle(when, callback, args, self, context)
        # The sequence number breaks ties between equal deadlines (first set, first
        # run) and means two handles are never compared: they define no order.
        self._timer_sequence += 1
        heapq.heappush(self._timers, (when, self._timer_sequence, handle))
        return handle

    def call_soon_threadsafe(self, callback, *args, context=None) -> Handle:
        """Like call_soon, callable from any thread: wakes the loop if it sleeps."""
        self._check_closed()
        if not callable(callback):
            raise TypeError(self._not_callable_message("call_soon_threadsafe", callback))
        if context is None:
            context = contextvars.copy_context()
        handle = Handle(callback, args, self, context)
        self._ready.append(handle)  # deque.append is atomic: safe from any thread
        self._wake_up()  # one byte into the self-pipe (minihttp.threads_and_signals)
        return handle

    def _check_thread(self, method: str) -> None:
        """Debug mode only: catch loop methods called from a thread the loop is not in."""
        if self._thread_id is not None and self._thread_id != threading.get_ident():
            raise RuntimeError(
                f"{method}() was called from another thread than the one running the loop: "
                "use loop.call_soon_threadsafe() to hand work to the loop"
            )

    @staticmethod
    def _not_callable_message(method: str, callback) -> str:
        if asyncio.iscoroutine(callback):
            return (
                f"{method}() expected a function but got the coroutine object {callback!r}: "
                "schedule coroutines with loop.create_task(), not " + method + "()"
            )
        return f"{method}() expected a callable but got {type(callback).__name__} {callback!r}"

    # ---- watching file descriptors ----------------------------------------------------

    def add_reader(self, fd, callback, *args) -> None:
        """Call `callback(*args)` whenever `fd` is readable, until remove_reader(fd)."""
        self._check_closed()
        handle = Handle(callback, args, self, contextvars.copy_context())
        self._watch(_file_descriptor(fd), _READ, handle)

    def add_writer(self, fd, callback, *args) -> None:
        """Call `callback(*args)` whenever `fd` is writable, until remove_writer(fd)."""
        self._check_closed()
        handle = Handle(callback, args, self, contextvars.copy_context())
        self._watch(_file_descriptor(fd), _WRITE, handle)

    def remove_reader(self, fd) -> bool:
        """Stop watching `fd` for reading; return whether it was watched."""
        return self._unwatch(_file_descriptor(fd), _READ)

    def remove_writer(self, fd) -> bool:
        """Stop watching `fd` for writing; return whether it was watched."""
        return self._unwatch(_file_descriptor(fd), _WRITE)

    def _add_internal_reader(self, fd: int, callback, *args) -> Handle:
        handle = Handle(callback, args, self, None)
        self._watch(fd, _READ, handle)
        return handle

    def _add_internal_writer(self, fd: int, callback, *args) -> Handle:
        handle = Handle(callback, args, self, None)
        self._watch(fd, _WRITE, handle)
        return handle

    def _watch(self, fd: int, event: int, handle: Handle) -> None:
        # key.data is a two-item list [reader, writer] that we mutate in place,
        # so replacing a callback costs no system call.
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            data = [handle, None] if event == _READ else [None, handle]
            self._selector.register(fd, event, data)
            return
        slot = 0 if event == _READ else 1
        previous = key.data[slot]
        key.data[slot] = handle
        if previous is not None:
            previous.cancel()
        if not key.events & event:
            try:
                self._selector.modify(fd, key.events | event, key.data)
            except FileNotFoundError:
                # The old file was closed without remove_reader/remove_writer and
                # its fd number reused: the kernel forgot the old registration
                # (the selector has just dropped it too), so start afresh.
                data = [handle, None] if event == _READ else [None, handle]
                self._selector.register(fd, event, data)

    def _unwatch(self, fd: int, event: int) -> bool:
        if self._closed:
            return False
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            return False
        slot = 0 if event == _READ else 1
        handle = key.data[slot]
        if handle is None:
            return False
        handle.cancel()
        key.data[slot] = None
        remaining = key.events & ~event
        if not remaining:
            self._selector.unregister(fd)
            return True
        try:
            self._selector.modify(fd, remaining, key.data)
        except OSError:
            # The file was closed while still watched: the kernel has forgotten
            # it, and the selector has just dropped the whole registration.
            for other in key.data:
                if other is not None:
                    other.cancel()
        return True

    # ---- futures and tasks ------------------------------------------------------------

    def create_future(self) -> asyncio.Future:
        return asyncio.Future(loop=self)

    def create_task(self, coro, *, name=None, context=None, **task_options) -> asyncio.Task:
        """Wrap a coroutine in a Task (asyncio's C Task unless a factory is set).

        `task_options` passes newer Task arguments (such as Python 3.12's
        eager_start) through unchanged.
        """
        self._check_closed()
        if self._task_factory is None:
            return asyncio.Task(coro, loop=self, name=name, context=context, **task_options)
        if context is not None:
            task_options["context"] = context
        task = self._task_factory(self, coro, **task_options)
        if name is not None:
            task.set_name(name)
        return task

    def set_task_factory(self, factory) -> None:
        if factory is not None and not callable(factory):
            raise TypeError(
                f"task factory must be a callable (loop, coro) -> Task or None, got {factory!r}"
            )
        self._task_factory = factory

    def get_task_factory(self):
        return self._task_factory

    # ---- errors -----------------------------------------------------------------------

    def get_exception_handler(self):
        return self._exception_handler

    def set_exception_handler(self, handler) -> None:
        """Route errors from callbacks to `handler(loop, context)`; None restores the default."""
        if handler is not None and not callable(handler):
            raise TypeError(
                f"exception handler must be a callable (loop, context) or None, got {handler!r}"
            )
        self._exception_handler = handler

    def default_exception_handler(self, context: dict) -> None:
        """Log `context['message']` and the exception, if any, to 'minihttp.loop'."""
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        exc_info = (
            False if exception is None else (type(exception), exception, exception.__traceback__)
        )
        details = [
            f"{key}: {value!r}"
            for key, value in sorted(context.items())
            if key not in ("message", "exception")
        ]
        logger.error("\n".join([message, *details]), exc_info=exc_info)

    def call_exception_handler(self, context: dict) -> None:
        """Report an error that no caller can catch (a callback raised, a task died)."""
        if self._exception_handler is None:
            try:
                self.default_exception_handler(context)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.exception("Exception in default exception handler")
            return
        try:
            self._exception_handler(self, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as handler_error:
            logger.error(
                "Unhandled error in exception handler (context: %r)",
                context,
                exc_info=(type(handler_error), handler_error, handler_error.__traceback__),
            )

    def get_debug(self) -> bool:
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        self._debug = bool(enabled)

    # ---- asynchronous generators ------------------------------------------------------

    def _asyncgen_first_iteration(self, agen) -> None:
        if self._asyncgens_shutdown_called:
            logger.warning("async generator %r started after shutdown_asyncgens()", agen)
        self._asyncgens.add(agen)

    def _asyncgen_finalize(self, agen) -> None:
        # Called by the garbage collector, maybe from another thread.
        self._asyncgens.discard(agen)
        if not self._closed:
            self._call_soon_threadsafe_unless_closed(self.create_task, agen.aclose())

    async def shutdown_asyncgens(self) -> None:
        """Close every async generator that was started but not finished."""
        self._asyncgens_shutdown_called = True
        generators = list(self._asyncgens)
        self._asyncgens.clear()
        if not generators:
            return
        results = await asyncio.gather(
            *[generator.aclose() for generator in generators], return_exceptions=True
        )
        for generator, result in zip(generators, results, strict=True):
            if isinstance(result, Exception):
                self.call_exception_handler(
                    {
                        "message": f"an error occurred while closing async generator {generator!r}",
                        "exception": result,
                        "asyncgen": generator,
                    }
                )

    # ---- what this loop leaves out on purpose (see the module docstring), said clearly ----

    async def start_tls(self, *args, **kwargs):
        raise NotImplementedError(NO_TLS_MESSAGE)

    async def create_datagram_endpoint(self, *args, **kwargs):
        raise NotImplementedError(
            "minihttp.loop does not implement UDP (create_datagram_endpoint): "
            "run UDP code on asyncio's default loop or uvloop"
        )

    async def subprocess_exec(self, *args, **kwargs):
        raise NotImplementedError(_NO_SUBPROCESS_MESSAGE)

    async def subprocess_shell(self, *args, **kwargs):
        raise NotImplementedError(_NO_SUBPROCESS_MESSAGE)

    async def connect_read_pipe(self, *args, **kwargs):
        raise NotImplementedError(_NO_SUBPROCESS_MESSAGE)

    async def connect_write_pipe(self, *args, **kwargs):
        raise NotImplementedError(_NO_SUBPROCESS_MESSAGE)


_NO_SUBPROCESS_MESSAGE = (
    "minihttp.loop does not implement subprocesses or pipes: "
    "use subprocess.run in loop.run_in_executor(), or asyncio's default loop"
)


def _file_descriptor(fd) -> int:
    if isinstance(fd, int):
        return fd
    try:
        return int(fd.fileno())
    except (AttributeError, TypeError, ValueError):
        raise ValueError(
            f"expected a file descriptor or an object with fileno(), got {fd!r}"
        ) from None


def run(main: Coroutine[Any, Any, Any], *, debug: bool | None = None) -> Any:
    """Run coroutine `main` on a new EventLoop and close it; like asyncio.run()."""
    with asyncio.Runner(loop_factory=EventLoop, debug=debug) as runner:
        return runner.run(main)


def new_event_loop() -> EventLoop:
    """A fresh EventLoop (the name uvloop uses, for code that expects it)."""
    return EventLoop()


class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """For code that configures asyncio through policies, as uvloop allows:
    asyncio.set_event_loop_policy(minihttp.loop.EventLoopPolicy())."""

    _loop_factory = EventLoop
