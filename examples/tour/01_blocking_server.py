"""Step 1: a blocking socket server that serves one client at a time.

What it shows: a listening socket is a file descriptor the kernel gives us;
`accept()` blocks until a client connects and returns a NEW descriptor for that
one connection; `recv()` blocks until bytes arrive; `sendall()` blocks until the
kernel has taken them. While one client is being served, nobody else is.

Run it:    python -m examples.tour.01_blocking_server
Try:       curl -i http://127.0.0.1:8000/
Then try:  `nc 127.0.0.1 8000` in one terminal (type nothing), and curl in
           another: curl waits, because the server is stuck in recv() for nc.

What it leaves out: serving two clients at once (step 2 and on), and reading
the request properly (we only wait for the blank line that ends its head).
"""

import socket

from examples.tour.common import announce, canned_response, parse_port

RESPONSE = canned_response(1)


def read_request_head(connection: socket.socket) -> bytes:
    """Read until the blank line that ends a request head (RFC 9112 §2.1)."""
    received = b""
    while b"\r\n\r\n" not in received:
        data = connection.recv(4096)  # blocks until something arrives
        if not data:  # the client closed the connection
            break
        received += data
    return received


def main(argv=None) -> None:
    port = parse_port("01_blocking_server", argv)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # let a restarted server bind the port while old connections linger in TIME_WAIT
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    announce(1, listener.getsockname()[1])
    while True:
        connection, address = listener.accept()  # blocks until a client connects
        with connection:
            read_request_head(connection)
            connection.sendall(RESPONSE)


if __name__ == "__main__":
    main()
