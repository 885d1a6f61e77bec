"""Step 2: a thread per connection.

What it adds over step 1: each accepted connection gets its own thread, so a
client that sends nothing blocks only its own thread. This is how many classic
servers work (and WSGI servers with a thread pool).

The GIL: CPython runs Python bytecode in one thread at a time. Threads still
help here because a blocking call (recv, accept, sendall) releases the GIL
while it waits, so other threads run. They do not help a CPU-bound handler:
two threads computing take as long as one doing both. For that, processes
(`python -m minihttp --workers 2`) are the answer. And each thread costs memory
(its stack) and the OS's scheduling: ten thousand idle clients are ten thousand
threads. Steps 3 and on wait for many sockets in ONE thread instead.

Run it:    python -m examples.tour.02_threaded_server
Try:       `nc 127.0.0.1 8000` (type nothing), then curl -i http://127.0.0.1:8000/
           in another terminal: curl answers at once this time.
"""

import socket
import threading

from examples.tour.common import announce, canned_response, parse_port

RESPONSE = canned_response(2)


def handle(connection: socket.socket) -> None:
    with connection:
        received = b""
        while b"\r\n\r\n" not in received:
            data = connection.recv(4096)  # blocks only this thread
            if not data:
                return
            received += data
        connection.sendall(RESPONSE)


def main(argv=None) -> None:
    port = parse_port("02_threaded_server", argv)
    listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
    announce(2, listener.getsockname()[1])
    while True:
        connection, _ = listener.accept()
        # daemon: the threads do not keep the process alive after Ctrl-C
        threading.Thread(target=handle, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    main()
