"""Step 4: `selectors` with a callback per socket — the core of an event loop.

What it adds over step 3: the selector (epoll on Linux, kqueue on macOS) keeps
the set of watched descriptors in the kernel, and we store a CALLBACK with each
registration. The main loop no longer knows what a listener or a connection is:
it waits, then calls whatever was registered for each ready descriptor. That
loop, plus a queue of callbacks to run soon and a heap of timers, is exactly
minihttp/loop.py (look for `_run_once`).

Run it:    python -m examples.tour.04_selector_callbacks
Try:       curl -i http://127.0.0.1:8000/
"""

import selectors
import socket

from examples.tour.common import announce, canned_response, parse_port

RESPONSE = canned_response(4)
selector = selectors.DefaultSelector()


def on_acceptable(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    connection.setblocking(False)
    buffer = bytearray()

    def on_readable(sock: socket.socket) -> None:
        data = sock.recv(4096)
        if not data:
            selector.unregister(sock)
            sock.close()
            return
        buffer.extend(data)
        if b"\r\n\r\n" in buffer:
            pending = [RESPONSE]
            # same descriptor, new interest: now we wait until it is writable
            selector.modify(sock, selectors.EVENT_WRITE, lambda s: on_writable(s, pending))

    selector.register(connection, selectors.EVENT_READ, on_readable)


def on_writable(sock: socket.socket, pending: list[bytes]) -> None:
    sent = sock.send(pending[0])
    pending[0] = pending[0][sent:]
    if not pending[0]:
        selector.unregister(sock)
        sock.close()


def main(argv=None) -> None:
    port = parse_port("04_selector_callbacks", argv)
    listener = socket.create_server(("127.0.0.1", port))
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ, on_acceptable)
    announce(4, listener.getsockname()[1])
    while True:  # the event loop: wait, then run the callbacks of what is ready
        for key, _events in selector.select():
            key.data(key.fileobj)


if __name__ == "__main__":
    main()
