"""Step 3: one thread, many sockets, and select().

What it adds over step 2: no threads. `select.select(readers, writers, [])`
asks the kernel "which of these descriptors can I use without blocking?" and
sleeps until at least one can. The listening socket is "readable" when a client
waits to be accepted; a connection is readable when bytes (or the close) have
arrived, and writable when the kernel has room for more output. We keep, per
connection, what we have read and what we still have to write.

select() is the oldest readiness API: every call passes the whole list again
and the kernel scans it, so it slows down with thousands of sockets (and cannot
watch descriptors past 1023). epoll (Linux) and kqueue (BSD, macOS) keep the
list in the kernel instead: step 4 uses them through `selectors`.

Run it:    python -m examples.tour.03_select_server
Try:       curl -i http://127.0.0.1:8000/   (and the nc test of step 2)
"""

import select
import socket

from examples.tour.common import announce, canned_response, parse_port

RESPONSE = canned_response(3)


def main(argv=None) -> None:
    port = parse_port("03_select_server", argv)
    listener = socket.create_server(("127.0.0.1", port))
    listener.setblocking(False)
    announce(3, listener.getsockname()[1])
    received: dict[socket.socket, bytes] = {}  # connections still sending their request
    to_send: dict[socket.socket, bytes] = {}  # connections we are answering
    while True:
        readable, writable, _ = select.select([listener, *received], list(to_send), [])
        for sock in readable:
            if sock is listener:
                connection, _ = listener.accept()
                connection.setblocking(False)
                received[connection] = b""
                continue
            data = sock.recv(4096)
            if not data:  # closed before finishing its request
                del received[sock]
                sock.close()
                continue
            received[sock] += data
            if b"\r\n\r\n" in received[sock]:
                del received[sock]
                to_send[sock] = RESPONSE
        for sock in writable:
            sent = sock.send(to_send[sock])  # may take only part of it
            to_send[sock] = to_send[sock][sent:]
            if not to_send[sock]:
                del to_send[sock]
                sock.close()


if __name__ == "__main__":
    main()
