"""An echo server on minihttp's own event loop, narrated step by step.

What it shows: the loop's raw material. The server is not a coroutine at all:
it is two plain callbacks that the loop calls when the selector reports a
file descriptor (fd) ready — `on_accept` when the listening socket has a new
connection, `on_readable` when a connection has bytes. The client, on the
same loop and thread, is a coroutine that awaits socket operations; each
`await` parks it until the loop resumes it. Read minihttp/loop.py beside it.

Run it:        python -m examples.loop_demo
What to try:   send a longer list of messages in `main()`; connect two
               clients with asyncio.gather and watch their steps interleave;
               replace `run` with `asyncio.run` and see the same story.
What it leaves out: partial writes (send() may take only part of the bytes;
minihttp/transports.py buffers the rest), flow control, errors, HTTP.
"""

from __future__ import annotations

import asyncio
import socket

from minihttp.loop import run


def say(step: str, message: str) -> None:
    print(f"{step:<9} {message}", flush=True)


def start_echo_server(loop: asyncio.AbstractEventLoop, finished: asyncio.Future):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))  # port 0: the kernel picks a free port
    listener.listen()
    listener.setblocking(False)  # accept() must never make the whole loop wait
    loop.add_reader(listener, on_accept, loop, listener, finished)
    say("listen", f"fd {listener.fileno()} listens on port {listener.getsockname()[1]}")
    return listener


def on_accept(loop, listener: socket.socket, finished: asyncio.Future) -> None:
    connection, (host, port) = listener.accept()
    connection.setblocking(False)
    say("accept", f"new connection from {host}:{port} is fd {connection.fileno()}")
    loop.add_reader(connection, on_readable, loop, connection, finished)


def on_readable(loop, connection: socket.socket, finished: asyncio.Future) -> None:
    say("readable", f"the selector says fd {connection.fileno()} has bytes waiting")
    data = connection.recv(4096)
    if not data:  # b"" is how the kernel says "the peer closed"
        say("close", f"the client hung up: stop watching fd {connection.fileno()}, close it")
        loop.remove_reader(connection)
        connection.close()
        finished.set_result(None)
        return
    say("data", f"received {data!r}")
    sent = connection.send(data)
    say("write", f"echoed {sent} bytes back")


async def client(port: int, messages: list[bytes]) -> None:
    loop = asyncio.get_running_loop()
    with socket.socket() as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        say("connect", f"client fd {sock.fileno()} connected")
        for message in messages:
            await loop.sock_sendall(sock, message)
            say("send", f"client sent {message!r} and awaits the reply")
            reply = await loop.sock_recv(sock, 4096)  # suspended here until readable
            say("reply", f"client got {reply!r} back")


async def demo(messages: list[bytes]) -> None:
    loop = asyncio.get_running_loop()
    say("loop", f"running on {type(loop).__module__}.{type(loop).__name__}")
    finished = loop.create_future()
    listener = start_echo_server(loop, finished)
    await client(listener.getsockname()[1], messages)
    await asyncio.wait_for(finished, timeout=5)  # the server sees the hang-up
    loop.remove_reader(listener)
    listener.close()
    say("done", "server closed; the loop has nothing left to do")


def main() -> None:
    run(demo([b"hello", b"event loop"]))


if __name__ == "__main__":
    main()
