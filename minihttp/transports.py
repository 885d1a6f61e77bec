"""Socket transports and servers for `minihttp.loop.EventLoop`.

asyncio splits a connection in two (see the asyncio docs, "Transports and
Protocols"): the *transport* owns the socket and moves bytes; the *protocol*
is the application's object that is told what happens. The transport calls

    protocol.connection_made(transport)       once, first
    protocol.data_received(data)              for every chunk read
    protocol.eof_received()                   when the peer shut down its side
    protocol.pause_writing() / resume_writing()   flow control, see below
    protocol.connection_lost(error_or_None)   once, last

and the protocol calls transport.write(), close(), pause_reading(), ...

Reading: the loop watches the socket; when it is readable, `_on_readable`
reads once (up to `max_read_size` bytes) and hands the bytes over. An empty
read means end of stream. `pause_reading` simply stops watching the socket:
the kernel buffers what arrives, and when its buffer is full TCP tells the
sender to stop. That is backpressure for free.

Writing: `write` first tries `socket.send` at once. Usually the kernel takes
everything and no buffer, no system call to the selector, nothing else is
needed: this is the hot path of a server. Only the bytes the kernel refused
go to `_write_buffer`, and only then does the transport ask the loop to tell
it when the socket is writable (`_on_writable`). When the buffer grows past
the high-water mark the protocol's `pause_writing()` is called; when it
drains below the low-water mark, `resume_writing()`. (asyncio's defaults:
64 KiB high, a quarter of it low.)

A protocol that subclasses asyncio.BufferedProtocol lends the transport its
own buffer (`get_buffer`), and `_on_readable_into_buffer` reads straight into
it with `recv_into`, saving one copy per read.

Servers: a listening socket is watched like any other fd; "readable" means
"connections are waiting". `Server._accept_connections` accepts up to
`backlog` of them per wake-up, and each one gets a fresh protocol from the
factory and a SocketTransport of its own (`Server._serve_connection`).

The transport's life is a small state machine; `_TRANSITIONS` is its table:

    state          event       next state    what happens
    OPEN           write_eof   WRITE_CLOSED  FIN goes out after the buffer; reading goes on
    OPEN           close       CLOSING       reading stops; the buffer drains
    WRITE_CLOSED   close       CLOSING       (the same)
    CLOSING        drained     CLOSED        the buffer is empty: connection_lost(None)
    any but CLOSED abort       CLOSED        abort(), a socket error or a protocol error:
                                             the buffer is dropped, connection_lost(error)

A repeated close() or write_eof(), and anything after CLOSED, changes nothing.
write() sends only in OPEN; after write_eof() it is an error, and while
closing the data is dropped (asyncio's rules).

Faults: an OSError on the socket (a peer reset: ECONNRESET) closes only this
transport and reaches the protocol as `connection_lost(error)`. An exception
out of the protocol's own callbacks is reported to the loop's exception
handler and the transport is aborted. When accept() fails because the
process is out of file descriptors (EMFILE/ENFILE), the server logs it and
stops accepting for `Server.accept_retry_delay` seconds instead of spinning
on a listening socket that stays readable.

TLS is not implemented: every `ssl=` argument raises NotImplementedError.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import selectors
import socket
import stat

__all__ = ["SocketTransport", "Server", "NO_TLS_MESSAGE"]

logger = logging.getLogger("minihttp.loop")

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE

NO_TLS_MESSAGE = (
    "minihttp.loop does not implement TLS: terminate TLS in a reverse proxy (nginx), "
    "or run this code on asyncio's default loop or uvloop"
)

# accept() errors that mean "the process or system is out of a resource":
# retrying at once would fail again, so the server waits a little.
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

# After this many writes to a closed transport, say so once in the log.
_WRITES_AFTER_CLOSE_BEFORE_WARNING = 5

OPEN = "OPEN"
WRITE_CLOSED = "WRITE_CLOSED"
CLOSING = "CLOSING"
CLOSED = "CLOSED"

_TRANSITIONS = {
    (OPEN, "write_eof"): WRITE_CLOSED,
    (WRITE_CLOSED, "write_eof"): WRITE_CLOSED,
    (CLOSING, "write_eof"): CLOSING,
    (CLOSED, "write_eof"): CLOSED,
    (OPEN, "close"): CLOSING,
    (WRITE_CLOSED, "close"): CLOSING,
    (CLOSING, "close"): CLOSING,
    (CLOSED, "close"): CLOSED,
    (CLOSING, "drained"): CLOSED,
    (OPEN, "abort"): CLOSED,
    (WRITE_CLOSED, "abort"): CLOSED,
    (CLOSING, "abort"): CLOSED,
    (CLOSED, "abort"): CLOSED,
}


class SocketTransport(asyncio.Transport):
    """A stream transport over one connected, non-blocking socket."""

    max_read_size = 256 * 1024

    def __init__(self, loop, sock: socket.socket, protocol, server=None, extra=None):
        super().__init__(extra)
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        self._server = server
        self._extra["socket"] = sock
        for name, getter in (("sockname", sock.getsockname), ("peername", sock.getpeername)):
            if name not in self._extra:
                try:
                    self._extra[name] = getter()
                except OSError:
                    self._extra[name] = None
        self._write_buffer = bytearray()
        self._high_water = 64 * 1024
        self._low_water = 16 * 1024
        self._state = OPEN
        self._reading_paused = False
        self._protocol_writing_paused = False
        self._writes_after_close = 0
        self._drain_waiters: list[asyncio.Future] = []
        self._choose_reader()
        loop._transports.add(self)
        if server is not None:
            server._attach(self)

    def _start(self) -> None:
        """Start reading, then tell the protocol the connection is made."""
        self._loop._add_internal_reader(self._fd, self._read_handler)
        try:
            self._protocol.connection_made(self)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._protocol_failed(error, "connection_made")

    # ---- reading ----------------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            data = self._sock.recv(self.max_read_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._connection_failed(error)
            return
        if not data:
            self._on_end_of_stream()
            return
        try:
            self._protocol.data_received(data)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._protocol_failed(error, "data_received")

    def _on_readable_into_buffer(self) -> None:
        # asyncio.BufferedProtocol: the protocol lends us its buffer (one copy less).
        try:
            buffer = self._protocol.get_buffer(-1)
            if not len(buffer):
                raise RuntimeError("get_buffer() returned an empty buffer")
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._protocol_failed(error, "get_buffer")
            return
        try:
            count = self._sock.recv_into(buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._connection_failed(error)
            return
        if not count:
            self._on_end_of_stream()
            return
        try:
            self._protocol.buffer_updated(count)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._protocol_failed(error, "buffer_updated")

    def _choose_reader(self) -> None:
        if isinstance(self._protocol, asyncio.BufferedProtocol):
            self._read_handler = self._on_readable_into_buffer
        else:
            self._read_handler = self._on_readable

    def _on_end_of_stream(self) -> None:
        try:
            keep_open = self._protocol.eof_received()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._protocol_failed(error, "eof_received")
            return
        if keep_open:
            # Half-closed: the peer will send nothing more, but we may still write.
            self._loop._unwatch(self._fd, _READ)
        else:
            self.close()

    def pause_reading(self) -> None:
        """Stop reading from the socket until resume_reading()."""
        if self._reading_paused or self.is_closing():
            return
        self._reading_paused = True
        self._loop._unwatch(self._fd, _READ)

    def resume_reading(self) -> None:
        if not self._reading_paused or self.is_closing():
            return
        self._reading_paused = False
        self._loop._add_internal_reader(self._fd, self._read_handler)

    def is_reading(self) -> bool:
        return not self._reading_paused and not self.is_closing()

    # ---- writing ----------------------------------------------------------------------

    def write(self, data) -> None:
        """Send `data` now if the kernel takes it; buffer whatever it does not."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"transport.write() takes bytes, bytearray or memoryview, not "
                f"{type(data).__name__}: encode text first, e.g. text.encode()"
            )
        if self._state is not OPEN:
            self._refuse_write()
            return
        if not data:
            return
        if not self._write_buffer:
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as error:
                self._connection_failed(error)
                return
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
            self._loop._add_internal_writer(self._fd, self._on_writable)
        self._write_buffer += data
        self._maybe_pause_protocol()

    def _refuse_write(self) -> None:
        if self._state is WRITE_CLOSED:
            raise RuntimeError("Cannot call write() after write_eof()")
        self._writes_after_close += 1
        if self._writes_after_close == _WRITES_AFTER_CLOSE_BEFORE_WARNING:
            logger.warning("write() on a closed transport: the data is dropped")

    def writelines(self, list_of_data) -> None:
        self.write(b"".join(list_of_data))

    def _on_writable(self) -> None:
        try:
            sent = self._sock.send(self._write_buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._connection_failed(error)
            return
        del self._write_buffer[:sent]
        self._maybe_resume_protocol()
        if self._write_buffer:
            return
        self._loop._unwatch(self._fd, _WRITE)
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()
        if self._state is CLOSING:
            self._move("drained")
            self._schedule_connection_lost(None)
        elif self._state is WRITE_CLOSED:
            self._shut_down_our_side()

    def write_eof(self) -> None:
        """Send FIN after the buffered bytes: 'I will write no more' (reading goes on)."""
        if self._state is not OPEN:
            return
        self._move("write_eof")
        if not self._write_buffer:
            self._shut_down_our_side()

    def _shut_down_our_side(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError as error:
            self._connection_failed(error)

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return len(self._write_buffer)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (self._low_water, self._high_water)

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        """Set the water marks: pause_writing() above `high`, resume_writing() at `low`."""
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"need high >= low >= 0, got high={high!r} and low={low!r}")
        self._high_water, self._low_water = high, low
        self._maybe_pause_protocol()

    def _maybe_pause_protocol(self) -> None:
        if self._protocol_writing_paused or len(self._write_buffer) <= self._high_water:
            return
        self._protocol_writing_paused = True
        self._call_flow_control("pause_writing")

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_writing_paused and len(self._write_buffer) <= self._low_water:
            self._protocol_writing_paused = False
            self._call_flow_control("resume_writing")

    def _call_flow_control(self, method: str) -> None:
        try:
            getattr(self._protocol, method)()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            self._loop.call_exception_handler(
                {
                    "message": f"protocol.{method}() failed",
                    "exception": error,
                    "transport": self,
                    "protocol": self._protocol,
                }
            )

    async def _wait_until_drained(self) -> None:
        if self._write_buffer and not self.is_closing():
            waiter = self._loop.create_future()
            self._drain_waiters.append(waiter)
            await waiter

    # ---- closing ----------------------------------------------------------------------

    def _move(self, event: str) -> None:
        try:
            self._state = _TRANSITIONS[self._state, event]
        except KeyError:
            raise RuntimeError(
                f"transport bug: event {event!r} is not allowed in state {self._state}"
            ) from None

    def is_closing(self) -> bool:
        return self._state is CLOSING or self._state is CLOSED

    def close(self) -> None:
        """Stop reading; close once the write buffer has been sent."""
        if self.is_closing():
            return
        self._move("close")
        self._loop._unwatch(self._fd, _READ)
        if not self._write_buffer:
            self._move("drained")
            self._schedule_connection_lost(None)

    def abort(self) -> None:
        """Close now, dropping any buffered data."""
        self._force_close(None)

    def _connection_failed(self, error: OSError) -> None:
        # A reset or broken pipe is ordinary network weather, not a bug: debug log only.
        logger.debug("%r: connection failed: %s", self, error)
        self._force_close(error)

    def _protocol_failed(self, error: BaseException, method: str) -> None:
        self._loop.call_exception_handler(
            {
                "message": f"Fatal error: protocol.{method}() call failed.",
                "exception": error,
                "transport": self,
                "protocol": self._protocol,
            }
        )
        self._force_close(error)

    def _force_close(self, error) -> None:
        if self._state is CLOSED:
            return
        if self._write_buffer:
            self._write_buffer.clear()
            self._loop._unwatch(self._fd, _WRITE)
        if self._state is not CLOSING:
            self._loop._unwatch(self._fd, _READ)
        self._move("abort")
        self._schedule_connection_lost(error)

    def _schedule_connection_lost(self, error) -> None:
        # Called exactly once, on entering CLOSED (the callers check the state).
        self._loop.call_soon(self._call_connection_lost, error)

    def _call_connection_lost(self, error) -> None:
        try:
            self._protocol.connection_lost(error)
        finally:
            self._sock.close()
            for waiter in self._drain_waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._drain_waiters.clear()
            self._loop._transports.discard(self)
            server, self._server = self._server, None
            if server is not None:
                server._detach(self)

    def _close_socket_quietly(self) -> None:
        """Used by loop.close(): release the socket without calling the protocol."""
        self._state = CLOSED
        self._sock.close()

    # ---- the protocol -----------------------------------------------------------------

    def get_protocol(self):
        return self._protocol

    def set_protocol(self, protocol) -> None:
        self._protocol = protocol
        self._choose_reader()
        if self.is_reading():
            self._loop._add_internal_reader(self._fd, self._read_handler)

    def __repr__(self) -> str:
        return f"<SocketTransport fd={self._fd} {self._state}>"


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


async def create_server(
    loop,
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
    """The body of EventLoop.create_server."""
    _refuse_tls(ssl)
    _check_unsupported(unsupported, "create_server")
    if sock is not None:
        if host is not None or port is not None:
            raise ValueError("create_server(): pass host/port or sock=, not both")
        sock.setblocking(False)
        sockets = [sock]
    else:
        sockets = await _bind_listening_sockets(
            loop, host, port, family, flags, reuse_address, reuse_port
        )
    server = Server(loop, sockets, protocol_factory, backlog)
    if start_serving:
        server._start_serving()
        await asyncio.sleep(0)
    return server


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


async def create_connection(
    loop,
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
    """The body of EventLoop.create_connection: try each address in turn."""
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
            loop, host, port, family, proto, flags, local_addr, all_errors
        )
    return _start_transport(loop, sock, protocol_factory)


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


async def create_unix_server(
    loop,
    protocol_factory,
    path=None,
    *,
    sock=None,
    backlog=100,
    ssl=None,
    start_serving=True,
    **unsupported,
):
    """The body of EventLoop.create_unix_server."""
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
    server = Server(loop, [sock], protocol_factory, backlog)
    if start_serving:
        server._start_serving()
        await asyncio.sleep(0)
    return server


def _remove_stale_socket_file(path: str) -> None:
    if path[0] in ("\0", "\x00"):
        return  # Linux abstract namespace: no file
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.remove(path)
    except FileNotFoundError:
        pass


async def create_unix_connection(
    loop,
    protocol_factory,
    path=None,
    *,
    ssl=None,
    sock=None,
    server_hostname=None,
    **unsupported,
):
    """The body of EventLoop.create_unix_connection."""
    _refuse_tls(ssl)
    _check_unsupported(unsupported, "create_unix_connection")
    if path is not None:
        if sock is not None:
            raise ValueError("create_unix_connection(): pass path or sock=, not both")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, os.fspath(path))
        except BaseException:
            sock.close()
            raise
    elif sock is None:
        raise ValueError("create_unix_connection() needs a path or sock=")
    else:
        sock.setblocking(False)
    return _start_transport(loop, sock, protocol_factory)


async def connect_accepted_socket(loop, protocol_factory, sock, *, ssl=None, **unsupported):
    """The body of EventLoop.connect_accepted_socket."""
    _refuse_tls(ssl)
    _check_unsupported(unsupported, "connect_accepted_socket")
    sock.setblocking(False)
    return _start_transport(loop, sock, protocol_factory)


async def sendfile_by_writes(transport, file, offset=0, count=None) -> int:
    """Copy `file` into `transport` in 64 KiB writes, waiting for the buffer to drain."""
    if not isinstance(transport, SocketTransport):
        raise TypeError(f"sendfile() needs a transport of this loop, got {transport!r}")
    file.seek(offset)
    total = 0
    while count is None or total < count:
        size = 64 * 1024 if count is None else min(64 * 1024, count - total)
        chunk = file.read(size)
        if not chunk:
            break
        if transport.is_closing():
            raise ConnectionError(
                f"the connection closed while sendfile() was sending ({total} bytes sent)"
            )
        transport.write(chunk)
        total += len(chunk)
        await transport._wait_until_drained()
    file.seek(offset + total)
    return total


def _check_unsupported(options: dict, method: str) -> None:
    # TLS timeouts are accepted (and meaningless) so code written for asyncio
    # runs unchanged as long as it does not actually ask for TLS.
    for ignorable in ("ssl_handshake_timeout", "ssl_shutdown_timeout", "keep_alive"):
        options.pop(ignorable, None)
    if options:
        names = ", ".join(sorted(options))
        raise TypeError(f"{method}() got unsupported keyword arguments: {names}")
