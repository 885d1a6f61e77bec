"""The ASGI apps the server benchmarks serve: as small as an app can be.

`hello` answers every request with 13 bytes and a Content-Length, so what is
measured is the server's own per-request work (parse, scope, task, send, write),
not the app's. Both servers run the very same function.
"""

HELLO_BODY = b"Hello, world!"
HELLO_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")],
}
HELLO_BODY_MESSAGE = {"type": "http.response.body", "body": HELLO_BODY}


async def hello(scope, receive, send):
    if scope["type"] != "http":
        return  # lifespan: nothing to set up
    await send(HELLO_START)
    await send(HELLO_BODY_MESSAGE)
