"""SocketTransport: one connected socket as an asyncio transport, for
`minihttp.loop.EventLoop` (asyncio docs, "Transports and Protocols").

asyncio splits a connection in two: the *transport* owns the socket and
moves bytes; the *protocol* is the application's object that is told what
happens. The transport calls

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
handler and the transport is aborted.

Where the pieces around it live: the loop's selector table, which the
transport joins with `loop._add_internal_reader` / `_add_internal_writer` and
leaves with `loop._unwatch`, is in minihttp.loop; servers and client
connections, which create transports, are in minihttp.connections;
`sendfile_by_writes` (loop.sendfile) is the one helper kept here, since it
needs the transport's drain waiters. No TLS: see minihttp.connections.
"""

from __future__ import annotations

import asyncio
import logging
import selectors
import socket

from minihttp.sockets import file_chunks

__all__ = ["SocketTransport", "sendfile_by_writes"]

logger = logging.getLogger("minihttp.loop")

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE

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


async def sendfile_by_writes(transport, file, offset=0, count=None) -> int:
    """Copy `file` into `transport` in 64 KiB writes, waiting for the buffer to drain."""
    if not isinstance(transport, SocketTransport):
        raise TypeError(f"sendfile() needs a transport of this loop, got {transport!r}")
    total = 0
    for chunk in file_chunks(file, offset, count):
        if transport.is_closing():
            raise ConnectionError(
                f"the connection closed while sendfile() was sending ({total} bytes sent)"
            )
        transport.write(chunk)
        total += len(chunk)
        await transport._wait_until_drained()
    file.seek(offset + total)
    return total
