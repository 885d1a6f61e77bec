"""Hello, ASGI: the smallest application a server can run.

What it shows: an ASGI app is one async function. The server calls it once per
request with the request's `scope` (a dict: method, path, headers...) and two
functions: `receive()` gives the request body, `send()` takes the response,
first its status and headers, then its body. No framework is involved.

Run it:     python -m minihttp examples.hello:app
Then try:   curl -i http://127.0.0.1:8000/           (Hello, world!)
            curl -i http://127.0.0.1:8000/?name=Ada  (Hello, Ada!)
            curl -i -d 'some bytes' http://127.0.0.1:8000/echo
            python -m minihttp examples.hello:app --trace   (see each layer's work)

What it leaves out: routing, validation, JSON, error pages: that is what a
framework (miniasgi) adds on top of exactly this interface.
"""

from urllib.parse import parse_qs


async def app(scope, receive, send):
    if scope["type"] != "http":
        return  # lifespan and websocket events: nothing to set up, nothing to serve
    if scope["path"] == "/echo":
        body = await read_body(receive)
    else:
        names = parse_qs(scope["query_string"].decode("latin-1")).get("name", ["world"])
        body = f"Hello, {names[0]}!".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_body(receive):
    """The whole request body: it may arrive in several http.request messages."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
