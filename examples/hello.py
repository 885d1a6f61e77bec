"""Hello, miniasgi: the smallest framework app, served by minihttp.

What it shows: a route is a decorated function. `name` has a default, so it
is an optional query parameter (?name=Ada); the return value becomes the
response body; `/echo` reads the raw request body through `Request`. Under the
decorators this is still one ASGI app, `app(scope, receive, send)`, which any
ASGI server can run — examples/tour/07_raw_asgi.py shows that app without a
framework.

Run it:     python -m minihttp examples.hello:app
Then try:   curl -i http://127.0.0.1:8000/           (Hello, world!)
            curl -i http://127.0.0.1:8000/?name=Ada  (Hello, Ada!)
            curl -i -d 'some bytes' http://127.0.0.1:8000/echo
            open http://127.0.0.1:8000/docs          (the routes, documented and tryable)
            python -m minihttp examples.hello:app --trace   (see each layer's work)

What it leaves out: models, validation errors, dependencies, a database —
examples/todo has all of them.
"""

from miniasgi import App, PlainTextResponse, Request

app = App(title="hello")


@app.get("/", response_class=PlainTextResponse)
async def hello(name: str = "world") -> str:
    return f"Hello, {name}!"


@app.post("/echo", response_class=PlainTextResponse)
async def echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(await request.body())
