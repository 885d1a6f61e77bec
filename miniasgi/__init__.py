"""miniasgi: the framework half of ministack (the Starlette + FastAPI part).

An ASGI application built from decorated functions. It never imports minihttp:
it runs on any ASGI server.
"""
