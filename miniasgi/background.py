"""Work that runs after the response has been sent: BackgroundTasks.

A signup endpoint should answer 201 at once and send the welcome email
afterwards. An endpoint asks for `tasks: BackgroundTasks`, adds calls with
`tasks.add_task(send_email, address, subject="Hi")`, and returns; the framework
sends the whole response first, then runs the tasks in the order they were
added (sync ones in the thread pool). The client has its answer before the
first task starts; the connection, though, stays busy until they end, so long
jobs belong in a real task queue.

If a task raises, the later tasks do not run and the error propagates to the
server's log (the response is already gone; there is nobody else to tell).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from miniasgi.concurrency import is_async_callable, run_in_threadpool


class BackgroundTask:
    """One deferred call: function(*args, **keywords)."""

    def __init__(self, function: Callable[..., Any], *args: Any, **keywords: Any):
        self.function = function
        self.args = args
        self.keywords = keywords
        self.is_async = is_async_callable(function)

    async def __call__(self) -> None:
        if self.is_async:
            await self.function(*self.args, **self.keywords)
        else:
            await run_in_threadpool(self.function, *self.args, **self.keywords)


class BackgroundTasks(BackgroundTask):
    """An ordered list of BackgroundTask, itself runnable as one task."""

    def __init__(self, tasks: list[BackgroundTask] | None = None):
        self.tasks: list[BackgroundTask] = list(tasks or [])

    def add_task(self, function: Callable[..., Any], *args: Any, **keywords: Any) -> None:
        if not callable(function):
            raise TypeError(
                f"add_task needs a function to call later, got {function!r}: write "
                f"tasks.add_task(send_email, address), not tasks.add_task(send_email(address))"
            )
        self.tasks.append(BackgroundTask(function, *args, **keywords))

    async def __call__(self) -> None:
        for task in self.tasks:
            await task()
