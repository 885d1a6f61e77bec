"""The ASGI lifespan protocol: startup and shutdown, told to the app (lifespan spec 2.0).

Besides one call per request, the server makes one long call per process:
``app({"type": "lifespan", "state": {...}}, receive, send)``. The app awaits
``receive()`` twice — first ``lifespan.startup``, much later
``lifespan.shutdown`` — and answers each with ``...complete`` or ``...failed``.
Between the two it opens what requests will share (a database pool, a model in
memory) and may store it in ``scope["state"]``; each request's scope gets a
shallow copy of that dict.

    server                        app
    ------                        ---
    receive() -> lifespan.startup     open resources, fill state
                                  send lifespan.startup.complete   (or .failed)
    ... requests are served ...
    receive() -> lifespan.shutdown    close resources
                                  send lifespan.shutdown.complete  (or .failed)

Apps that do not implement lifespan usually raise at once on the unknown scope
type. The spec says a server should then carry on without it, so in the
default "auto" mode: an app that fails *before it first calls receive()* does
not support lifespan (logged, ignored); one that fails *after* it received the
startup event has a real startup failure, and the server exits non-zero.
Mode "on" treats both as failures; mode "off" never sends the lifespan scope.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from minihttp.asgi import ASGI_VERSION, LIFESPAN_SPEC_VERSION, ASGIMessageError

logger = logging.getLogger("minihttp.error")


class LifespanFailure(Exception):
    """Startup or shutdown failed; the message says what the app reported."""


class Lifespan:
    """Drives one app through the lifespan protocol."""

    def __init__(self, app: Any, mode: str = "auto") -> None:
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.received_startup = False
        self.supported = mode != "off"
        self.task: asyncio.Task | None = None
        self.error: BaseException | None = None

    async def startup(self) -> None:
        """Run the app's startup; raise LifespanFailure if it failed."""
        if not self.supported:
            return
        scope = {
            "type": "lifespan",
            "asgi": {"version": ASGI_VERSION, "spec_version": LIFESPAN_SPEC_VERSION},
            "state": self.state,
        }
        self.task = asyncio.get_running_loop().create_task(self.run(scope))
        await self.events.put({"type": "lifespan.startup"})
        reply = await self.next_reply()
        if reply is None:
            self.handle_early_exit()
        elif reply["type"] == "lifespan.startup.failed":
            raise LifespanFailure(f"the app reported a failed startup: {reply.get('message', '')}")
        elif reply["type"] != "lifespan.startup.complete":
            raise LifespanFailure(
                f"the app sent {reply['type']!r} during startup: "
                "expected 'lifespan.startup.complete' or 'lifespan.startup.failed'"
            )

    def handle_early_exit(self) -> None:
        """The app's lifespan call ended before it answered the startup event."""
        error = self.error
        self.supported = False
        if not self.received_startup and self.mode == "auto":
            detail = f" ({type(error).__name__}: {error})" if error is not None else ""
            logger.info("the app does not support the ASGI lifespan protocol%s; going on", detail)
            return
        if error is not None:
            raise LifespanFailure(
                f"the app raised during startup: {type(error).__name__}: {error}"
            ) from error
        raise LifespanFailure(
            "the app's lifespan call returned without sending 'lifespan.startup.complete'"
        )

    async def shutdown(self) -> None:
        """Run the app's shutdown; raise LifespanFailure if it failed."""
        if not self.supported or self.task is None:
            return
        await self.events.put({"type": "lifespan.shutdown"})
        reply = await self.next_reply()
        if reply is None:
            if self.error is not None:
                raise LifespanFailure(
                    f"the app raised during shutdown: {type(self.error).__name__}: {self.error}"
                )
            return  # returning after the shutdown event is allowed
        if reply["type"] == "lifespan.shutdown.failed":
            raise LifespanFailure(f"the app reported a failed shutdown: {reply.get('message', '')}")

    async def next_reply(self) -> dict[str, Any] | None:
        """The app's next message, or None if its lifespan call ended first."""
        reply_getter = asyncio.ensure_future(self.replies.get())
        waiting_for = {reply_getter, self.task} if self.task is not None else {reply_getter}
        await asyncio.wait(waiting_for, return_when=asyncio.FIRST_COMPLETED)
        if reply_getter.done():
            return reply_getter.result()
        reply_getter.cancel()
        return None

    async def run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self.receive, self.send)
        except Exception as error:
            self.error = error
            if self.received_startup:
                logger.error("the app's lifespan call raised", exc_info=error)

    async def receive(self) -> dict[str, Any]:
        event = await self.events.get()
        if event["type"] == "lifespan.startup":
            self.received_startup = True
        return event

    async def send(self, message: dict[str, Any]) -> None:
        message_type = message.get("type") if isinstance(message, dict) else None
        if message_type not in (
            "lifespan.startup.complete", "lifespan.startup.failed",
            "lifespan.shutdown.complete", "lifespan.shutdown.failed",
        ):
            raise ASGIMessageError(
                f"unexpected lifespan message {message!r}: send "
                "{'type': 'lifespan.startup.complete'} (or .failed, or the shutdown pair)"
            )
        await self.replies.put(message)
