"""miniasgi: the framework half of ministack (the Starlette + FastAPI part).

An ASGI application built from decorated functions. It never imports minihttp:
it runs on any ASGI server. The names mirror FastAPI's, so a FastAPI tutorial
applies with only the imports changed:

    from miniasgi import App, Depends, HTTPException, Model, Query

    app = App()

    class Item(Model):
        name: str
        price: float

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = Query(None, max_length=50)):
        return {"item_id": item_id, "q": q}

Where to read what:

| module        | the idea it teaches                                                |
|---------------|--------------------------------------------------------------------|
| app           | the ASGI app, its layers, lifespan, exception handlers, OpenAPI    |
| routing       | path templates, route compilation, matching, 404/405/redirects     |
| dependencies  | a signature compiled into a plan; Depends() solved per request     |
| params        | the markers: Query, Path, Header, Cookie, Body, Form, File, Depends|
| validation    | type hints compiled into validators (with models, encoders)        |
| requests      | the Request object over the ASGI scope and receive()               |
| responses     | Response classes: how a response becomes ASGI messages             |
| forms         | urlencoded and multipart/form-data parsing (sans-I/O)              |
| middleware/   | the ASGI middleware pattern: CORS, GZip                            |
| testclient    | TestClient and ASGITransport: calling the app without a server     |
"""

from miniasgi import status
from miniasgi.app import App
from miniasgi.background import BackgroundTasks
from miniasgi.datastructures import UploadFile
from miniasgi.exceptions import HTTPException, RequestValidationError
from miniasgi.models import Field, Model
from miniasgi.params import Body, Cookie, Depends, File, Form, Header, Path, Query, Security
from miniasgi.requests import Request
from miniasgi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from miniasgi.routing import APIRouter
from miniasgi.security import SecurityBase, SecurityScopes
from miniasgi.validators import field_validator, model_validator

__all__ = [
    "APIRouter", "App", "BackgroundTasks", "Body", "Cookie", "Depends", "Field",
    "File", "FileResponse", "Form", "HTMLResponse", "HTTPException", "Header", "JSONResponse",
    "Model", "Path", "PlainTextResponse", "Query", "RedirectResponse", "Request",
    "RequestValidationError", "Response", "Security", "SecurityBase", "SecurityScopes",
    "StreamingResponse", "UploadFile", "field_validator", "model_validator", "status",
]
