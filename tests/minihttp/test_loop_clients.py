"""Real third-party clients on each loop: the proof that minihttp's EventLoop is a
drop-in asyncio loop is that libraries written for asyncio run on it unchanged.

- httpx.AsyncClient (over anyio's asyncio backend) fetches a page from a small
  HTTP/1.1 server written with asyncio streams, both on the loop under test.
- psycopg.AsyncConnection runs queries against the test PostgreSQL server; it
  waits on its socket with loop.add_reader/add_writer.
"""

from __future__ import annotations

import asyncio

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
