"""minihttp: the server half of ministack (the uvloop + Uvicorn part).

Read in this order: `loop` (the event loop over selectors), `http11` (bytes to
HTTP events and back, sans-I/O), `server` (joins the two to any ASGI app),
then `main` (startup, signals, shutdown) and `lifespan`.
minihttp never imports miniasgi: the two meet only at `app(scope, receive, send)`.

    import minihttp
    minihttp.run("examples.hello:app", port=8000)      # or: python -m minihttp examples.hello:app
"""

from minihttp.main import run

__all__ = ["run"]
