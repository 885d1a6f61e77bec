"""Running a server: bind, start up, serve, shut down gracefully.

``run(app, **options)`` is the whole life of a server process:

1. Check the options (:mod:`minihttp.config`) and set up logging.
2. Bind the listening socket (TCP, a Unix socket with ``uds``, or an inherited
   file descriptor with ``fd``). With ``workers > 1`` or ``reload`` a supervisor
   (:mod:`minihttp.workers`) binds it instead and forks the serving processes.
3. In the serving process: pick the event loop (mini, asyncio or uvloop),
   import the app, run the lifespan startup (:mod:`minihttp.lifespan`), and
   hand every accepted connection to :class:`minihttp.server.HTTPConnection`.
4. On SIGINT or SIGTERM, shut down gracefully: stop accepting, close the idle
   keep-alive connections, let in-flight requests finish (up to
   ``timeout_graceful_shutdown``), run the lifespan shutdown, return 0. A second
   signal stops waiting.

Exit statuses: 0 after a clean shutdown, 1 when the configuration or the app
cannot be loaded or the lifespan shutdown failed, 3 when the lifespan startup
failed (Uvicorn's number for the same case).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import stat
import sys
from collections.abc import Callable
from typing import Any

from minihttp.config import Config, ConfigError, load_app
from minihttp.lifespan import Lifespan, LifespanFailure
from minihttp.server import HTTPConnection, ServerState

logger = logging.getLogger("minihttp.error")

EXIT_OK, EXIT_CONFIG, EXIT_STARTUP_FAILED = 0, 1, 3


def run(app: Any, **options: Any) -> int:
    """Serve `app` (an ASGI app or "module:app") until a signal; return the exit status.

    Options are the fields of :class:`minihttp.config.Config`, e.g.
    ``run("examples.hello:app", port=8080, loop="uvloop", workers=2)``.
    Raises ConfigError (a ValueError) for an option the server cannot use.
    """
    config = Config(app=app, **options)
    configure_logging(config)
    if config.workers > 1 or config.reload:
        from minihttp.workers import Supervisor

        return Supervisor(config).run()
    listening_socket = bind_socket(config)
    try:
        return serve(config, listening_socket, announce=True)
    finally:
        listening_socket.close()


def configure_logging(config: Config) -> None:
    """Send minihttp's log records to stderr, unless the program set up its own handlers."""
    logging.addLevelName(5, "TRACE")
    root_logger = logging.getLogger("minihttp")
    root_logger.setLevel(config.python_log_level)
    if not root_logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:  %(message)s"))
        root_logger.addHandler(handler)
    access_logger = logging.getLogger("minihttp.access")
    access_logger.setLevel(config.python_log_level if config.access_log else logging.WARNING)


def bind_socket(config: Config) -> socket.socket:
    """Create the listening socket the config names; raise ConfigError if we cannot."""
    if config.fd is not None:
        return socket.socket(fileno=config.fd)
    if config.uds is not None:
        return bind_unix_socket(config.uds, config.backlog)
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    listening_socket = socket.socket(family, socket.SOCK_STREAM)
    listening_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening_socket.bind((config.host, config.port))
    except OSError as error:
        listening_socket.close()
        raise ConfigError(
            f"cannot listen on {config.listen_description()}: {error.strerror}. "
            "Is another server using that port? Pick another with --port, or 0 for any free one"
        ) from None
    listening_socket.listen(config.backlog)
    listening_socket.setblocking(False)
    return listening_socket


def bind_unix_socket(path: str, backlog: int) -> socket.socket:
    if os.path.exists(path) and stat.S_ISSOCK(os.stat(path).st_mode):
        os.unlink(path)  # a leftover from a previous run; a regular file is left alone
    listening_socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listening_socket.bind(path)
    except OSError as error:
        listening_socket.close()
        raise ConfigError(f"cannot listen on unix socket {path!r}: {error.strerror}") from None
    os.chmod(path, 0o666)
    listening_socket.listen(backlog)
    listening_socket.setblocking(False)
    return listening_socket


def describe_socket(config: Config, listening_socket: socket.socket) -> str:
    """Where the socket listens, with the port the kernel picked when port was 0."""
    address = listening_socket.getsockname()
    if isinstance(address, tuple):
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        return f"http://{host}:{address[1]}"
    return f"unix:{address}" if address else config.listen_description()


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    if name == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise ConfigError(
                "--loop uvloop needs the uvloop package: pip install uvloop, "
                "or choose --loop mini or --loop asyncio"
            ) from None
        return uvloop.new_event_loop
    if name == "asyncio":
        return asyncio.SelectorEventLoop
    from minihttp.loop import EventLoop

    return EventLoop


def serve(config: Config, listening_socket: socket.socket, announce: bool = False) -> int:
    """Serve on an already listening socket in this process; return the exit status."""
    with asyncio.Runner(loop_factory=loop_factory(config.loop)) as runner:
        return runner.run(serve_async(config, listening_socket, announce))


async def serve_async(config: Config, listening_socket: socket.socket, announce: bool) -> int:
    server = Server(config)
    status = await server.start(listening_socket)
    if status != EXIT_OK:
        return status
    if announce:
        logger.info(startup_line(config, listening_socket, workers=1))
    signals = StopSignals(asyncio.get_running_loop())
    try:
        await signals.first.wait()
        return await server.stop(force=signals.second)
    finally:
        signals.remove()  # only now: a late signal during shutdown must not kill us


class StopSignals:
    """SIGINT and SIGTERM, counted: the first asks for a graceful stop, the next forces it.

    The handlers stay installed until the server has completely stopped, so a
    repeated signal during the shutdown (an impatient supervisor, a second
    Ctrl+C) shortens it instead of killing the process with the default action.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.first = asyncio.Event()
        self.second = asyncio.Event()
        for signal_number in self.SIGNALS:
            loop.add_signal_handler(signal_number, self.received)

    def received(self) -> None:
        (self.second if self.first.is_set() else self.first).set()

    def remove(self) -> None:
        for signal_number in self.SIGNALS:
            self.loop.remove_signal_handler(signal_number)


class Server:
    """The serving half of one process: start() on a socket, later stop()."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.state: ServerState | None = None
        self.lifespan: Lifespan | None = None
        self.listener: asyncio.AbstractServer | None = None

    async def start(self, listening_socket: socket.socket) -> int:
        """Import the app, run the lifespan startup, start accepting; return the status."""
        config = self.config
        loop = asyncio.get_running_loop()
        try:
            app = wrap_app(load_app(config), config)
        except ConfigError as error:
            logger.error("%s", error)
            return EXIT_CONFIG
        self.lifespan = Lifespan(app, config.lifespan)
        try:
            await self.lifespan.startup()
        except LifespanFailure as error:
            logger.error("startup failed, so the server will not start: %s", error)
            return EXIT_STARTUP_FAILED
        state = self.state = ServerState(app, config, loop)
        state.lifespan_state = self.lifespan.state
        protocol_class = HTTPConnection
        if config.trace:
            from minihttp.trace import TracingConnection, TracingCycle

            protocol_class, state.cycle_class = TracingConnection, TracingCycle
        self.listener = await loop.create_server(
            lambda: protocol_class(state), sock=listening_socket, backlog=config.backlog
        )
        return EXIT_OK

    async def stop(self, force: asyncio.Event | None = None) -> int:
        """Shut down gracefully (see the module docstring); return the exit status.

        Setting `force` stops waiting for requests in flight.
        """
        if self.state is None or self.listener is None or self.lifespan is None:
            return EXIT_OK
        await shut_down(
            self.state, self.listener, self.config.timeout_graceful_shutdown,
            force or asyncio.Event(),
        )
        try:
            await self.lifespan.shutdown()
        except LifespanFailure as error:
            logger.error("shutdown failed: %s", error)
            return EXIT_CONFIG
        return EXIT_OK


def startup_line(config: Config, listening_socket: socket.socket, workers: int) -> str:
    plural = "worker" if workers == 1 else "workers"
    return (
        f"minihttp listening on {describe_socket(config, listening_socket)} "
        f"(loop {config.loop}, {workers} {plural}, pid {os.getpid()}); press Ctrl+C to stop"
    )


def wrap_app(app: Any, config: Config) -> Any:
    if config.proxy_headers:
        from minihttp.proxy_headers import ProxyHeadersMiddleware

        return ProxyHeadersMiddleware(app, config.trusted_proxies())
    return app


async def shut_down(
    state: ServerState, server: asyncio.AbstractServer, timeout: float, force: asyncio.Event
) -> None:
    """Stop accepting, finish in-flight requests (up to `timeout` s), close the rest."""
    logger.info("shutting down: finishing %d request(s) in flight", state.requests_in_flight)
    server.close()
    state.begin_shutdown()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while state.connections and loop.time() < deadline and not force.is_set():
        await asyncio.sleep(0.05)  # a poll, not a timing: the loop exits as soon as we are done
    for connection in list(state.connections):
        logger.warning("closing a connection whose request did not finish in time")
        connection.close()
