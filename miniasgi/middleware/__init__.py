"""ASGI middleware: an app that wraps another app.

Middleware is the ASGI pattern for code that runs around every request:

    class Timing:
        def __init__(self, app):                 # built once, with the app it wraps
            self.app = app

        async def __call__(self, scope, receive, send):
            async def send_wrapper(message):      # see (and change) what goes out
                ...
                await send(message)
            await self.app(scope, receive, send_wrapper)

It sees the scope before the app, may answer by itself (a CORS preflight),
and may rewrite the messages the app sends (GZip compresses the body).
`app.add_middleware(Timing, **options)` records the class and its options; the
app builds the chain at its first request (see miniasgi.app), the last one
added outermost. Any ASGI middleware works, Starlette's included.
"""

from miniasgi.middleware.cors import CORSMiddleware
from miniasgi.middleware.gzip import GZipMiddleware

__all__ = ["CORSMiddleware", "GZipMiddleware"]
