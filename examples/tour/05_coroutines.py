"""Step 5: the same server as coroutines on minihttp.loop.

What it adds over step 4: callbacks become straight-line code. `await
reader.readuntil(...)` looks like the blocking recv() of step 1, but underneath
it creates a Future, registers the socket with the selector, and SUSPENDS the
coroutine; when the selector reports the socket readable, a callback reads the
bytes and resolves the Future, and the loop resumes the coroutine where it
stopped. Many coroutines wait at once in one thread, as in step 4, and the code
reads like step 1. The loop here is minihttp's own (minihttp/loop.py), a
drop-in for asyncio's: asyncio.start_server runs on it unchanged.

Run it:    python -m examples.tour.05_coroutines
Try:       curl -i http://127.0.0.1:8000/
"""

import asyncio

import minihttp.loop
from examples.tour.common import announce, canned_response, parse_port

RESPONSE = canned_response(5)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")  # suspends this coroutine, not the thread
        writer.write(RESPONSE)
        await writer.drain()  # suspends while the kernel's send buffer is full
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the client went away: nothing to answer
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    announce(5, server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main(argv=None) -> None:
    minihttp.loop.run(serve(parse_port("05_coroutines", argv)))


if __name__ == "__main__":
    main()
