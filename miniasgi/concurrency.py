"""Running blocking code without blocking the event loop.

An event loop runs one coroutine at a time; a `def` endpoint that calls
`time.sleep(1)` or a blocking database driver would stop every other request
for that second. So, as FastAPI does, a plain `def` endpoint or dependency runs
in a worker thread (the loop's default executor), and the loop goes on serving
others while it waits. `async def` functions run on the loop directly: they
promise to await instead of block.

The thread gets a copy of the caller's contextvars (as asyncio.to_thread does),
so context set by middleware is visible inside the sync function.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

Result = TypeVar("Result")


async def run_in_threadpool(function: Callable[..., Result], *args: Any, **keywords: Any) -> Result:
    """Call `function(*args, **keywords)` in a worker thread and await its result."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args, **keywords)
    return await loop.run_in_executor(None, call)


def is_async_callable(function: Any) -> bool:
    """True for an `async def` function, a partial of one, or an object whose
    __call__ is one (a class-based dependency such as OAuth2PasswordBearer())."""
    while isinstance(function, functools.partial):
        function = function.func
    if inspect.iscoroutinefunction(function):
        return True
    if inspect.isroutine(function) or inspect.isclass(function):
        return False
    call = inspect.getattr_static(type(function), "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)


class _Exhausted(Exception):
    """Raised in place of StopIteration, which cannot cross a Future (PEP 479)."""


def _next_or_exhausted(iterator: Iterator) -> Any:
    try:
        return next(iterator)
    except StopIteration:
        raise _Exhausted from None


async def iterate_in_threadpool(iterable: Iterable) -> AsyncIterator:
    """Iterate a blocking iterator (a file, a generator doing I/O) one item per thread call."""
    iterator = iter(iterable)
    while True:
        try:
            yield await run_in_threadpool(_next_or_exhausted, iterator)
        except _Exhausted:
            return
