"""The sock_* coroutines: one socket operation, awaited (asyncio docs, "Event
Loop" > "Working with socket objects directly").

`await loop.sock_recv(sock, 1024)` reads like a blocking call but lets every
other task run while the bytes are on their way. Each coroutine here follows
the same three steps, the pattern of the whole event loop in miniature:

1. Try the system call at once. A non-blocking socket never sleeps: `recv`,
   `send` and `accept` either succeed or raise BlockingIOError (the kernel's
   EAGAIN/EWOULDBLOCK: "nothing to do yet"). Most of the time data is
   already waiting, and the coroutine returns without touching the selector.
2. Otherwise make a Future and ask the loop to watch the fd
   (`_add_internal_reader` / `_add_internal_writer`, in minihttp.loop) with a
   callback that retries the call. A readiness report can be spurious, so
   the callback stays registered until the call really succeeds or fails
   (`_retry_when_readable`, `_sock_send_when_ready`).
3. The Future's done callback stops the watching (`_unwatch`), whether the
   call succeeded, failed or the awaiting task was cancelled, so no fd stays
   registered for a caller who has gone.

`sock_connect` is the odd one: a non-blocking connect() answers EINPROGRESS,
and the socket becomes *writable* when the handshake ends, well or badly;
the outcome is then read with getsockopt(SO_ERROR) (POSIX connect(), and the
EINPROGRESS entry of Linux's connect(2) page; `_finish_connect`). `sock_sendall` keeps its
progress in a one-item list, since a partial send() is the normal case on a
full socket buffer.

These are the low-level tools; `minihttp.connections` builds servers and
connections, and `minihttp.transports` the callback-driven SocketTransport,
which uses the same selector registrations without a Future per read.

`SocketOperationsMixin` is a part of `minihttp.loop.EventLoop`; it needs from
the loop `create_future`, `getaddrinfo`, `_add_internal_reader`,
`_add_internal_writer` and `_unwatch`. `sock_sendfile` has no zero-copy path:
it reads the file in 64 KiB chunks and sends each with `sock_sendall`.
"""

from __future__ import annotations

import asyncio
import errno
import os
import selectors
import socket

__all__ = ["SocketOperationsMixin"]

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class SocketOperationsMixin:
    """loop.sock_recv, sock_recv_into, sock_accept, sock_sendall, sock_connect, sock_sendfile."""

    async def sock_recv(self, sock, nbytes: int) -> bytes:
        """Receive up to `nbytes` from non-blocking `sock`; b"" means the peer closed."""
        _require_non_blocking(sock, "sock_recv")
        try:
            return sock.recv(nbytes)
        except (BlockingIOError, InterruptedError):
            pass
        return await self._wait_readable_then(sock, sock.recv, nbytes)

    async def sock_recv_into(self, sock, buffer) -> int:
        """Receive into `buffer`; return the number of bytes written (0: peer closed)."""
        _require_non_blocking(sock, "sock_recv_into")
        try:
            return sock.recv_into(buffer)
        except (BlockingIOError, InterruptedError):
            pass
        return await self._wait_readable_then(sock, sock.recv_into, buffer)

    async def sock_accept(self, sock):
        """Accept a connection on a listening socket: (non-blocking socket, address)."""
        _require_non_blocking(sock, "sock_accept")
        try:
            connection, address = sock.accept()
        except (BlockingIOError, InterruptedError):
            connection, address = await self._wait_readable_then(sock, sock.accept)
        connection.setblocking(False)
        return connection, address

    def _wait_readable_then(self, sock, operation, *args) -> asyncio.Future:
        """A Future for `operation(*args)`, tried each time `sock` becomes readable."""
        future = self.create_future()
        fd = sock.fileno()
        self._add_internal_reader(fd, self._retry_when_readable, future, operation, args)
        future.add_done_callback(lambda _: self._unwatch(fd, _READ))
        return future

    def _retry_when_readable(self, future, operation, args) -> None:
        if future.done():
            return
        try:
            result = operation(*args)
        except (BlockingIOError, InterruptedError):
            return  # spurious wake-up: stay registered
        except BaseException as error:
            future.set_exception(error)
        else:
            future.set_result(result)

    async def sock_sendall(self, sock, data) -> None:
        """Send all of `data`, waiting for the socket to drain as needed."""
        _require_non_blocking(sock, "sock_sendall")
        view = memoryview(data).cast("B")
        try:
            sent = sock.send(view)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(view):
            return
        future = self.create_future()
        fd = sock.fileno()
        self._add_internal_writer(fd, self._sock_send_when_ready, future, sock, view, [sent])
        future.add_done_callback(lambda _: self._unwatch(fd, _WRITE))
        await future

    def _sock_send_when_ready(self, future, sock, view, progress) -> None:
        if future.done():
            return
        try:
            progress[0] += sock.send(view[progress[0] :])
        except (BlockingIOError, InterruptedError):
            return
        except BaseException as error:
            future.set_exception(error)
            return
        if progress[0] == len(view):
            future.set_result(None)

    async def sock_connect(self, sock, address) -> None:
        """Connect non-blocking `sock` to `address` (host names are resolved first)."""
        _require_non_blocking(sock, "sock_connect")
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            address = await self._resolve_one(sock, address)
        try:
            sock.connect(address)
            return
        except (BlockingIOError, InterruptedError):
            pass
        future = self.create_future()
        fd = sock.fileno()
        self._add_internal_writer(fd, self._finish_connect, future, sock, address)
        future.add_done_callback(lambda _: self._unwatch(fd, _WRITE))
        await future

    def _finish_connect(self, future, sock, address) -> None:
        if future.done():
            return
        error_number = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error_number == 0:
            future.set_result(None)
        elif error_number not in (errno.EINPROGRESS, errno.EALREADY):
            message = f"Connect call failed {address}: {os.strerror(error_number)}"
            future.set_exception(OSError(error_number, message))

    async def _resolve_one(self, sock, address):
        host, port = address[0], address[1]
        try:
            socket.inet_pton(sock.family, host)
            return address  # already numeric
        except (OSError, TypeError):
            pass
        infos = await self.getaddrinfo(host, port, family=sock.family, type=sock.type)
        if not infos:
            raise OSError(f"getaddrinfo({host!r}, {port!r}) returned no addresses")
        return infos[0][4]

    async def sock_sendfile(self, sock, file, offset=0, count=None, *, fallback=True):
        """Send a file over non-blocking `sock` with plain reads and sock_sendall."""
        total = 0
        for chunk in file_chunks(file, offset, count):
            await self.sock_sendall(sock, chunk)
            total += len(chunk)
        file.seek(offset + total)
        return total


def file_chunks(file, offset: int = 0, count: int | None = None, size: int = 64 * 1024):
    """Read `count` bytes of `file` from `offset` (to its end if None), `size` at a time.

    Both sendfile fallbacks (sock_sendfile here, sendfile_by_writes in
    minihttp.transports) send a file as the pieces this yields.
    """
    file.seek(offset)
    total = 0
    while count is None or total < count:
        chunk = file.read(size if count is None else min(size, count - total))
        if not chunk:
            return
        total += len(chunk)
        yield chunk


def _require_non_blocking(sock, method: str) -> None:
    if sock.gettimeout() != 0:
        raise ValueError(
            f"{method}() needs a non-blocking socket: call sock.setblocking(False) first"
        )
