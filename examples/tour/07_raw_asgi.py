"""Step 7: an ASGI application, served by minihttp.

What it adds over step 6: the split between SERVER and APPLICATION. The server
(minihttp/server.py) owns sockets, parsing, keep-alive and timeouts; the app is
one async function that never sees a socket. They meet at ASGI
(https://asgi.readthedocs.io): the server calls `app(scope, receive, send)`;
`scope` describes the request, `receive()` yields its body, and `send()` takes
the response as two kinds of message. Any ASGI server can run this app
(`uvicorn examples.tour.07_raw_asgi:app`), and minihttp can run any ASGI app
(FastAPI's included) — the boundary is the whole contract.

Run it:    python -m examples.tour.07_raw_asgi
Try:       curl -i 'http://127.0.0.1:8000/hello?name=Ada'
           python -m minihttp examples.tour.07_raw_asgi:app --trace   (every layer's work)
"""

import json

import minihttp
from examples.tour.common import parse_port


async def app(scope, receive, send):
    if scope["type"] != "http":
        return  # lifespan events: nothing to set up
    answer = {
        "method": scope["method"],
        "path": scope["path"],
        "query_string": scope["query_string"].decode("latin-1"),
        "client": list(scope["client"] or ()),
    }
    body = json.dumps(answer).encode()
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


def main(argv=None) -> None:
    port = parse_port("07_raw_asgi", argv)
    print(f"try:  curl -i 'http://127.0.0.1:{port}/hello?name=Ada'", flush=True)
    minihttp.run(app, port=port)


if __name__ == "__main__":
    main()
