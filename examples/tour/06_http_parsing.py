"""Step 6: parsing HTTP, first by hand, then with minihttp.http11.

What it adds over step 5: we read the request instead of ignoring it, and
answer with what we understood. `parse_by_hand` is what most first attempts
look like: split lines, split on ": ". It works for curl and breaks on what
real servers must refuse: a request split across reads, "Content-Length" twice
with different values, spaces before the colon, a bare LF, a 2 GB header... each
a known attack (request smuggling, RFC 9112 §6.3 and §11.2).
`minihttp.http11.RequestParser` is incremental (feed it any split of the
bytes), strict where RFC 9112 says MUST, and answers bad input with the right
status — read minihttp/http11.py next to this file.

Run it:    python -m examples.tour.06_http_parsing
Try:       curl -i 'http://127.0.0.1:8000/hello?x=1' -H 'X-Demo: yes'
           printf 'GET / HTTP/1.1\\r\\nHost : x\\r\\n\\r\\n' | nc 127.0.0.1 8000
           (the space before the colon is refused with 400, RFC 9112 §5.1)
"""

import asyncio

import minihttp.loop
from examples.tour.common import announce, parse_port
from minihttp.errors import RemoteProtocolError
from minihttp.http11 import RequestParser, ResponseWriter, simple_response


def parse_by_hand(head: bytes) -> tuple[str, str, dict[str, str]]:
    """The naive way: fine for a demo, unsafe for a server (see the docstring)."""
    request_line, *field_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ")
    fields = dict(line.split(": ", 1) for line in field_lines if line)
    return method, target, fields


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head_bytes = await reader.readuntil(b"\r\n\r\n")
        parser = RequestParser()
        parser.feed(head_bytes)  # a real server feeds whatever recv() returned, in any split
        head = parser.next_event()  # a RequestHead, or RemoteProtocolError
        method, target, fields = parse_by_hand(head_bytes[:-4])
        body = (
            f"minihttp.http11: {head.method.decode()} {head.target.decode()} "
            f"HTTP/{head.http_version.decode()}, {len(head.headers)} fields\n"
            f"parse_by_hand:   {method} {target}, {len(fields)} fields\n"
        ).encode()
        response = ResponseWriter(head)
        writer.write(response.head(200, [(b"content-type", b"text/plain"),
                                         (b"content-length", str(len(body)).encode()),
                                         (b"connection", b"close")]))
        writer.write(response.body(body, more=False))
    except RemoteProtocolError as error:  # the client's fault: answer with its status
        writer.write(simple_response(error.status_code, error.reason))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass  # closed early, or a head over the stream's 64 KiB limit: nothing to answer
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    announce(6, server.sockets[0].getsockname()[1], "hello?x=1")
    async with server:
        await server.serve_forever()


def main(argv=None) -> None:
    minihttp.loop.run(serve(parse_port("06_http_parsing", argv)))


if __name__ == "__main__":
    main()
