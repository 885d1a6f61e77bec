"""Real third-party clients on each loop: the proof that minihttp's EventLoop is a
drop-in asyncio loop is that libraries written for asyncio run on it unchanged.

- httpx.AsyncClient (over anyio's asyncio backend) fetches a page from a small
  HTTP/1.1 server written with asyncio streams, both on the loop under test.
- psycopg.AsyncConnection runs queries against the test PostgreSQL server; it
  waits on its socket with loop.add_reader/add_writer.
- Uvicorn, a real ASGI server, serves an app through loop.create_server with
  its own protocol classes, and httpx fetches from it.
- The websockets library runs a WebSocket server and client.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest


async def serve_one_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer each request on the connection with a fixed page (HTTP/1.1, keep-alive)."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].decode("ascii")
            body = f"you asked for {request_line.split(' ')[1]}".encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass  # the client closed the connection
    finally:
        writer.close()


def test_httpx_async_client_fetches_from_a_streams_server_on_the_loop(run_async):
    async def main():
        server = await asyncio.start_server(serve_one_page, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            first = await client.get("/hello")
            second = await client.get("/again")  # same pooled connection
        server.close()
        return first.status_code, first.text, second.text

    assert run_async(main()) == (200, "you asked for /hello", "you asked for /again")


@pytest.mark.postgres
def test_psycopg_async_connection_queries_postgresql_on_the_loop(run_async, postgres_dsn):
    psycopg = pytest.importorskip("psycopg")

    async def main():
        async with await psycopg.AsyncConnection.connect(postgres_dsn) as connection:
            cursor = await connection.execute("SELECT 1")
            one = await cursor.fetchone()
            cursor = await connection.execute(
                "SELECT %s::int + %s::int, pg_sleep(0.01)::text", (20, 22)
            )
            total = (await cursor.fetchone())[0]
        return one, total

    assert run_async(main()) == ((1,), 42)


async def hello_app(scope, receive, send):
    if scope["type"] != "http":
        return
    loop_name = type(asyncio.get_running_loop()).__name__
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": f"served on {loop_name}".encode()})


def test_uvicorn_serves_an_asgi_app_on_the_loop(loop_factory, run_async):
    uvicorn = pytest.importorskip("uvicorn")
    probe = loop_factory()
    expected_loop = type(probe).__name__
    probe.close()

    async def main():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(hello_app, log_level="warning", lifespan="off"))
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started:
            await asyncio.sleep(0.005)
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/")
        server.should_exit = True
        await serving
        return response.status_code, response.text

    assert run_async(main()) == (200, f"served on {expected_loop}")


def test_websockets_server_and_client_talk_on_the_loop(run_async):
    websockets = pytest.importorskip("websockets")

    async def reverse(connection):
        async for message in connection:
            await connection.send(message[::-1])

    async def main():
        async with websockets.serve(reverse, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            async with websockets.connect(f"ws://127.0.0.1:{port}") as connection:
                replies = []
                for message in ("hello", "event loop"):
                    await connection.send(message)
                    replies.append(await connection.recv())
        return replies

    assert run_async(main()) == ["olleh", "pool tneve"]
