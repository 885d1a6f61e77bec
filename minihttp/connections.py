"""Servers and connections: where transports come from (asyncio docs, "Event
Loop" > "Creating network servers", "Opening network connections" and
"Server objects").

A *server* is a listening socket that the loop watches like any other fd:
for a listening socket "readable" means "connections are waiting in the
kernel's accept queue" (its length is `backlog`, the argument to listen()).
`Server._accept_connections` accepts up to `backlog` of them per wake-up,
and each one gets a fresh protocol from the factory and a SocketTransport of
its own (`Server._serve_connection`); from then on minihttp.transports moves
the bytes. A *connection* is the client's side of the same story:
`create_connection` resolves the host, connects a non-blocking socket with
`sock_connect` (minihttp.sockets) and wraps it in a transport.

The rules kept here, and why:

- Every accepted or connected TCP socket gets TCP_NODELAY (`_disable_nagle`):
  Nagle's algorithm (RFC 896) would hold small responses back waiting for an
  ACK that delayed acknowledgements (RFC 1122 §4.2.3.2) hold back in turn.
- Listening sockets set SO_REUSEADDR, so a restarted server can bind while
  old connections sit in TIME-WAIT (RFC 9293 §3.6), and IPV6_V6ONLY on the
  IPv6 socket, so one socket per address family answers (RFC 3493 §5.3).
- When accept() fails because the process is out of file descriptors
  (EMFILE/ENFILE), the server reports it and stops accepting for
  `Server.accept_retry_delay` seconds instead of spinning on a listening
  socket that stays readable.
- Addresses from getaddrinfo are tried one after the other, not raced (no
  happy eyeballs, RFC 8305); numeric addresses skip the executor (`_resolve`).
- A Unix socket path left behind by a dead server is removed before binding
  (only if it is a socket, never a regular file).
- `Server.wait_closed` follows Python 3.12's rule: it returns once the
  listening sockets are closed *and* every accepted connection is gone.

`ServersMixin` is a part of `minihttp.loop.EventLoop`; it and Server use the
loop's `getaddrinfo`, `sock_connect`, `create_future`, `call_later`,
`call_exception_handler`, `_add_internal_reader`, `_unwatch`, and its
`_servers` set, through which `loop.close()` releases servers still open.
TLS is not implemented: every `ssl=` argument raises NotImplementedError
with NO_TLS_MESSAGE.
"""

from __future__ import annotations

import asyncio
import errno
import os
import selectors
import socket
import stat

from minihttp.transports import SocketTransport, sendfile_by_writes

__all__ = ["Server", "ServersMixin", "NO_TLS_MESSAGE"]

_READ = selectors.EVENT_READ

NO_TLS_MESSAGE = (
    "minihttp.loop does not implement TLS: terminate TLS in a reverse proxy (nginx), "
    "or run this code on asyncio's default loop or uvloop"
)

# accept() errors that mean "the process or system is out of a resource":
# retrying at once would fail again, so the server waits a little.
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class Server(asyncio.AbstractServer):
    """Listening sockets plus the code that accepts connections on them."""

    accept_retry_delay = 1.0  # seconds to stop accepting after EMFILE/ENFILE

    def __init__(self, loop, sockets: list[socket.socket], protocol_factory, backlog: int):
        self._loop = loop
        self._sockets: list[socket.socket] | None = sockets
        self._protocol_factory = protocol_factory
        self._backlog = backlog
        self._serving = False
        self._connections: set[SocketTransport] = set()
        self._closed_waiters: list[asyncio.Future] = []
        self._serve_forever_future: asyncio.Future | None = None
        loop._servers.add(self)

    def get_loop(self):
        return self._loop

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets) if self._sockets is not None else ()

    def is_serving(self) -> bool:
        return self._serving

    async def start_serving(self) -> None:
        self._start_serving()
        await asyncio.sleep(0)

    def _start_serving(self) -> None:
        if self._serving or self._sockets is None:
            return
        self._serving = True
        for sock in self._sockets:
            sock.listen(self._backlog)
            self._loop._add_internal_reader(sock.fileno(), self._accept_connections, sock)

    async def serve_forever(self) -> None:
        """Accept connections until cancelled; then close and wait for connections."""
        if self._serve_forever_future is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if self._sockets is None:
            raise RuntimeError(f"server {self!r} is closed: create a new one to serve again")
        self._start_serving()
        self._serve_forever_future = self._loop.create_future()
        try:
            await self._serve_forever_future
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serve_forever_future = None

    def close(self) -> None:
        """Stop listening. Connections already accepted stay open."""
        if self._sockets is None:
            return
        self._close_sockets()
        if self._serve_forever_future is not None and not self._serve_forever_future.done():
            self._serve_forever_future.cancel()
        self._wake_closed_waiters_if_idle()

    def _close_sockets(self) -> None:
        sockets, self._sockets = self._sockets or [], None
        for sock in sockets:
            if not self._loop.is_closed():
                self._loop._unwatch(sock.fileno(), _READ)
            sock.close()
        self._serving = False

    async def wait_closed(self) -> None:
        """Return once the server is closed and all its connections are gone.

        This is Python 3.12's rule (3.11 returned at once after close()):
        a graceful shutdown is close(), then close_clients() or waiting for
        the clients, then wait_closed().
        """
        if self._sockets is None and not self._connections:
            return
        waiter = self._loop.create_future()
        self._closed_waiters.append(waiter)
        await waiter

    def close_clients(self) -> None:
        """Close every connection this server accepted (after their buffered writes)."""
        for transport in list(self._connections):
            transport.close()

    def abort_clients(self) -> None:
        """Abort every connection this server accepted, dropping buffered writes."""
        for transport in list(self._connections):
            transport.abort()

    def _attach(self, transport: SocketTransport) -> None:
        self._connections.add(transport)

    def _detach(self, transport: SocketTransport) -> None:
        self._connections.discard(transport)
        self._wake_closed_waiters_if_idle()

    def _wake_closed_waiters_if_idle(self) -> None:
        if self._sockets is not None or self._connections:
            return
        for waiter in self._closed_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._closed_waiters.clear()

    def _accept_connections(self, listening_socket: socket.socket) -> None:
        # Accept up to `backlog` connections per wake-up: a burst of clients
        # is drained in one pass instead of one per pass of the loop.
        for _ in range(self._backlog):
            try:
                connection, address = listening_socket.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as error:
                if error.errno not in _OUT_OF_RESOURCES:
                    raise
                self._pause_accepting(listening_socket, error)
                return
            self._serve_connection(connection, address)

    def _pause_accepting(self, listening_socket: socket.socket, error: OSError) -> None:
        self._loop.call_exception_handler(
            {
                "message": (
                    f"socket.accept() out of system resource ({error.strerror}): "
                    f"not accepting for {self.accept_retry_delay} s; raise the file "
                    "descriptor limit (ulimit -n) or serve fewer connections"
                ),
                "exception": error,
                "socket": listening_socket,
            }
        )
        self._loop._unwatch(listening_socket.fileno(), _READ)
        self._loop.call_later(self.accept_retry_delay, self._resume_accepting, listening_socket)

    def _resume_accepting(self, listening_socket: socket.socket) -> None:
        if self._serving and self._sockets is not None and listening_socket in self._sockets:
            self._loop._add_internal_reader(
                listening_socket.fileno(), self._accept_connections, listening_socket
            )

    def _serve_connection(self, connection: socket.socket, address) -> None:
        connection.setblocking(False)
        _disable_nagle(connection)
        try:
            protocol = self._protocol_factory()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            connection.close()
            self._loop.call_exception_handler(
                {"message": "the server's protocol factory failed", "exception": error}
            )
            return
        transport = SocketTransport(
            self._loop, connection, protocol, server=self, extra={"peername": address}
        )
        transport._start()

    def __repr__(self) -> str:
        names = [sock.getsockname() for sock in self.sockets]
        return f"<Server sockets={names} serving={self._serving}>"


class ServersMixin:
    """loop.create_server, create_unix_server, create_connection, create_unix_connection,
    connect_accepted_socket and sendfile: the ways a transport comes to be."""

    async def create_server(
        self,
        protocol_factory,
        host=None,
        port=None,
        *,
        family=socket.AF_UNSPEC,
        flags=socket.AI_PASSIVE,
        sock=None,
        backlog=100,
        ssl=None,
        reuse_address=None,
        reuse_port=None,
        start_serving=True,
        **unsupported,
    ):
        """Listen on `host`:`port`; each connection gets `protocol_factory()`.

        Options as asyncio's: family, flags, sock, backlog (100), reuse_address,
        reuse_port, start_serving (True). `ssl=` raises NotImplementedError.
        """
        _refuse_tls(ssl)
        _check_unsupported(unsupported, "create_server")
        if sock is not None:
            if host is not None or port is not None:
                raise ValueError("create_server(): pass host/port or sock=, not both")
            sock.setblocking(False)
            sockets = [sock]
        else:
            sockets = await _bind_listening_sockets(
                self, host, port, family, flags, reuse_address, reuse_port
            )
        server = Server(self, sockets, protocol_factory, backlog)
        if start_serving:
            server._start_serving()
            await asyncio.sleep(0)
        return server

    async def create_unix_server(
        self,
        protocol_factory,
        path=None,
        *,
        sock=None,
        backlog=100,
        ssl=None,
        start_serving=True,
        **unsupported,
    ):
        """Listen on the Unix socket file `path` (removed first if it is a stale socket)."""
        _refuse_tls(ssl)
        unsupported.pop("cleanup_socket", None)
        _check_unsupported(unsupported, "create_unix_server")
        if path is not None:
            if sock is not None:
                raise ValueError("create_unix_server(): pass path or sock=, not both")
            path = os.fspath(path)
            _remove_stale_socket_file(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(path)
            except OSError as error:
                sock.close()
                if error.errno == errno.EADDRINUSE:
                    raise OSError(error.errno, f"address {path!r} is already in use") from None
                raise
        elif sock is None:
            raise ValueError("create_unix_server() needs a path or sock=")
        elif sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
            raise ValueError(f"a UNIX domain stream socket was expected, got {sock!r}")
        sock.setblocking(False)
        server = Server(self, [sock], protocol_factory, backlog)
        if start_serving:
            server._start_serving()
            await asyncio.sleep(0)
        return server

    async def create_connection(
        self,
        protocol_factory,
        host=None,
        port=None,
        *,
        ssl=None,
        family=0,
        proto=0,
        flags=0,
        sock=None,
        local_addr=None,
        server_hostname=None,
        **unsupported,
    ):
        """Connect to `host`:`port` (or adopt `sock=`); return (transport, protocol).

        The addresses getaddrinfo gives are tried in turn; the first to
        connect wins. `ssl=` raises NotImplementedError.
        """
        _refuse_tls(ssl)
        if server_hostname is not None:
            raise ValueError("server_hostname is only meaningful with ssl, which is not supported")
        unsupported.pop("happy_eyeballs_delay", None)
        unsupported.pop("interleave", None)
        all_errors = unsupported.pop("all_errors", False)
        _check_unsupported(unsupported, "create_connection")
        if sock is not None:
            if host is not None or port is not None:
                raise ValueError("create_connection(): pass host/port or sock=, not both")
            sock.setblocking(False)
        elif host is None and port is None:
            raise ValueError("create_connection() needs host and port, or sock=")
        else:
            sock = await _connect_first_reachable(
                self, host, port, family, proto, flags, local_addr, all_errors
            )
        return _start_transport(self, sock, protocol_factory)

    async def create_unix_connection(
        self,
        protocol_factory,
        path=None,
        *,
        ssl=None,
        sock=None,
        server_hostname=None,
        **unsupported,
    ):
        """Connect to the Unix socket file `path` (or adopt `sock=`): (transport, protocol)."""
        _refuse_tls(ssl)
        _check_unsupported(unsupported, "create_unix_connection")
        if path is not None:
            if sock is not None:
                raise ValueError("create_unix_connection(): pass path or sock=, not both")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.setblocking(False)
                await self.sock_connect(sock, os.fspath(path))
            except BaseException:
                sock.close()
                raise
        elif sock is None:
            raise ValueError("create_unix_connection() needs a path or sock=")
        else:
            sock.setblocking(False)
        return _start_transport(self, sock, protocol_factory)

    async def connect_accepted_socket(self, protocol_factory, sock, *, ssl=None, **unsupported):
        """Wrap an already accepted socket in a transport: (transport, protocol)."""
        _refuse_tls(ssl)
        _check_unsupported(unsupported, "connect_accepted_socket")
        sock.setblocking(False)
        return _start_transport(self, sock, protocol_factory)

    async def sendfile(self, transport, file, offset=0, count=None, *, fallback=True):
        """Send a file through `transport` with plain reads and writes (no os.sendfile)."""
        return await sendfile_by_writes(transport, file, offset, count)


def _disable_nagle(sock: socket.socket) -> None:
    # Nagle's algorithm holds back small writes waiting for an ACK; with
    # request/response traffic that adds up to 40 ms per exchange.
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _resolve(loop, host, port, family, type_, proto, flags):
    """getaddrinfo, skipping the executor for numeric addresses (the common case)."""
    if isinstance(port, int) or port is None:
        for candidate_family in (socket.AF_INET, socket.AF_INET6):
            if family not in (0, candidate_family) or host is None:
                continue
            try:
                socket.inet_pton(candidate_family, host)
            except (OSError, TypeError, ValueError):
                continue
            address = (
                (host, port or 0) if candidate_family == socket.AF_INET else (host, port or 0, 0, 0)
            )
            return [(candidate_family, type_, proto, "", address)]
    return await loop.getaddrinfo(host, port, family=family, type=type_, proto=proto, flags=flags)


def _refuse_tls(ssl) -> None:
    if ssl is not None and ssl is not False:
        raise NotImplementedError(NO_TLS_MESSAGE)


async def _bind_listening_sockets(loop, host, port, family, flags, reuse_address, reuse_port):
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("reuse_port=True is not supported on this platform")
    hosts = [None] if host in (None, "") else [host] if isinstance(host, str) else list(host)
    infos = []
    for each_host in hosts:
        for info in await _resolve(loop, each_host, port, family, socket.SOCK_STREAM, 0, flags):
            if info not in infos:
                infos.append(info)
    sockets: list[socket.socket] = []
    try:
        for address_family, socket_type, proto, _, address in infos:
            sock = socket.socket(address_family, socket_type, proto)
            sockets.append(sock)
            if reuse_address is None or reuse_address:
                # Lets a restarted server bind while old connections sit in TIME_WAIT.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if address_family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                # One socket per family: keep the IPv6 one from also claiming IPv4.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as error:
                raise OSError(
                    error.errno,
                    f"error while attempting to bind on address {address!r}: "
                    f"{(error.strerror or str(error)).lower()}",
                ) from None
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


async def _connect_first_reachable(loop, host, port, family, proto, flags, local_addr, all_errors):
    infos = await _resolve(loop, host, port, family, socket.SOCK_STREAM, proto, flags)
    if not infos:
        raise OSError(f"getaddrinfo({host!r}, {port!r}) returned no addresses")
    errors: list[OSError] = []
    for address_family, socket_type, address_proto, _, address in infos:
        sock = socket.socket(address_family, socket_type, address_proto)
        try:
            sock.setblocking(False)
            if local_addr is not None:
                sock.bind(local_addr)
            await loop.sock_connect(sock, address)
            return sock
        except OSError as error:
            sock.close()
            errors.append(error)
        except BaseException:
            sock.close()
            raise
    if all_errors:
        raise ExceptionGroup("create_connection failed", errors)
    if len(errors) == 1 or len({str(error) for error in errors}) == 1:
        raise errors[0]
    raise OSError("Multiple exceptions: " + ", ".join(str(error) for error in errors))


def _start_transport(loop, sock, protocol_factory):
    _disable_nagle(sock)
    protocol = protocol_factory()
    transport = SocketTransport(loop, sock, protocol)
    transport._start()
    return transport, protocol


def _remove_stale_socket_file(path: str) -> None:
    if path[0] in ("\0", "\x00"):
        return  # Linux abstract namespace: no file
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.remove(path)
    except FileNotFoundError:
        pass


def _check_unsupported(options: dict, method: str) -> None:
    # TLS timeouts are accepted (and meaningless) so code written for asyncio
    # runs unchanged as long as it does not actually ask for TLS.
    for ignorable in ("ssl_handshake_timeout", "ssl_shutdown_timeout", "keep_alive"):
        options.pop(ignorable, None)
    if options:
        names = ", ".join(sorted(options))
        raise TypeError(f"{method}() got unsupported keyword arguments: {names}")
