"""Handles: a callback waiting for its turn (asyncio docs, "Event Loop" >
"Callback Handles").

Everything the loop will run is a Handle: what `call_soon` appends to the
ready queue, what `call_later` / `call_at` push onto the timer heap (a
TimerHandle, which also knows *when*), what `add_reader` / `add_writer` file
under an fd in the selector's table, and what a signal handler is. A Handle
holds the callback, its arguments and the `contextvars.Context` to run it in
(PEP 567: each callback sees the context variables of the code that
scheduled it).

Two rules make the loop cheap:

- `cancel()` only marks the handle (and drops the callback, so what it
  references can be freed). Nobody digs it out of the deque or the heap;
  the loop skips a cancelled handle when it reaches it (`EventLoop._run_once`
  in minihttp.loop), and TimerHandle counts cancelled timers so the loop
  knows when rebuilding the heap is worth it.
- `_run()` is the one place where user callbacks are called, so it is the
  one place that catches what they raise: the error goes to the loop's
  exception handler and the loop goes on. SystemExit and KeyboardInterrupt
  are let through, to stop the program as the user asked.

A context of None means "call directly, no context switch": the loop uses it
for its own transport and server callbacks, which run on every network event
and never read context variables.
"""

from __future__ import annotations

__all__ = ["Handle", "TimerHandle"]


class Handle:
    """A callback with its arguments, waiting in the ready queue or on an fd.

    `context` is the `contextvars.Context` the callback runs in; None means
    "call it directly", which the loop uses for its own transport callbacks
    (saving a context switch on every network event).
    """

    __slots__ = ("_callback", "_args", "_context", "_loop", "_cancelled")

    def __init__(self, callback, args, loop, context):
        self._callback = callback
        self._args = args
        self._loop = loop
        self._context = context
        self._cancelled = False

    def cancel(self) -> None:
        if not self._cancelled:
            self._cancelled = True
            self._callback = None
            self._args = None

    def cancelled(self) -> bool:
        return self._cancelled

    def get_context(self):
        return self._context

    def _run(self) -> None:
        try:
            if self._context is None:
                self._callback(*self._args)
            else:
                self._context.run(self._callback, *self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exception:
            self._loop.call_exception_handler(
                {
                    "message": f"Exception in callback {self._callback!r}",
                    "exception": exception,
                    "handle": self,
                }
            )

    def __repr__(self) -> str:
        state = " cancelled" if self._cancelled else ""
        return f"<{type(self).__name__}{state} {self._callback!r}>"


class TimerHandle(Handle):
    """A callback due at a point of the loop's clock (`loop.time()`)."""

    __slots__ = ("_when",)

    def __init__(self, when, callback, args, loop, context):
        # Fields set here rather than through super().__init__: timers are
        # created by the thousand, and the extra call shows in benchmarks.
        self._callback = callback
        self._args = args
        self._loop = loop
        self._context = context
        self._cancelled = False
        self._when = when

    def when(self) -> float:
        return self._when

    def cancel(self) -> None:
        if not self._cancelled:
            self._cancelled = True
            self._callback = None
            self._args = None
            self._loop._cancelled_timer_count += 1
