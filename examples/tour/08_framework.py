"""Step 8: the same endpoint in miniasgi, the framework.

What it adds over step 7: a framework turns "one function per app" into "one
function per route". The decorator registers the route; the type hints become
validation (`name` is a query parameter with a default, `times` must be an
integer from 1 to 5, or the client gets a 422 naming the problem); the return
value becomes JSON; /docs shows the endpoint and lets you try it. Underneath it
is still one ASGI app (miniasgi/app.py), served by the same server as step 7.

Run it:    python -m examples.tour.08_framework
Try:       curl -i 'http://127.0.0.1:8000/hello?name=Ada&times=2'
           curl -i 'http://127.0.0.1:8000/hello?times=9'     (a 422, and why)
           open http://127.0.0.1:8000/docs
"""

from typing import Annotated

import minihttp
from examples.tour.common import parse_port
from miniasgi import App, Query

app = App(title="Tour step 8")


@app.get("/hello")
async def hello(name: str = "world", times: Annotated[int, Query(ge=1, le=5)] = 1):
    return {"greeting": " ".join([f"Hello, {name}!"] * times)}


def main(argv=None) -> None:
    port = parse_port("08_framework", argv)
    print(f"try:  curl -i 'http://127.0.0.1:{port}/hello?name=Ada&times=2'", flush=True)
    minihttp.run(app, port=port)


if __name__ == "__main__":
    main()
