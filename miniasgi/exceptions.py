"""The exceptions an endpoint raises to answer with an error, and how each is answered.

    Exception
    ├── HTTPException(status_code, detail, headers)   -> that status, {"detail": detail}
    ├── RequestValidationError(errors)                 -> 422 {"detail": [errors...]}
    ├── ResponseValidationError(errors)                -> 500: the server's own bug
    └── anything else                                  -> 500 "Internal Server Error",
                                                          and re-raised for the server's log

`raise HTTPException(404, "Item not found")` anywhere below an endpoint (in a
dependency too) stops the request and answers 404 `{"detail": "Item not found"}`,
FastAPI's shape. Handlers can be replaced per exception class or per status code
with `@app.exception_handler(...)`; the defaults live in miniasgi.app.

RequestValidationError carries the errors collected from the path, query,
headers, cookies and body (miniasgi.validation's error dicts), all of them, not
only the first, so a client can fix its request in one round trip.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any


class HTTPException(Exception):
    """Stop the request and answer `status_code` with `{"detail": detail}`.

    detail defaults to the status's reason phrase ("Not Found"); headers are
    added to the answer (401 with WWW-Authenticate, 405 with Allow...).
    """

    def __init__(self, status_code: int, detail: Any = None,
                 headers: Mapping[str, str] | None = None):
        if detail is None:
            try:
                detail = http.HTTPStatus(status_code).phrase
            except ValueError:
                detail = ""
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers is not None else None
        super().__init__(status_code, detail)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class ValidationException(Exception):
    """Common base: a list of validation error dicts, read with .errors()."""

    def __init__(self, errors: list[dict], *, body: Any = None):
        super().__init__(errors)
        self._errors = errors
        self.body = body

    def errors(self) -> list[dict]:
        return self._errors

    def __str__(self) -> str:
        lines = [f"{len(self._errors)} validation error(s):"]
        for error in self._errors:
            where = ".".join(str(part) for part in error.get("loc", ()))
            lines.append(f"  {where}: {error.get('msg')} [type={error.get('type')}]")
        return "\n".join(lines)


class RequestValidationError(ValidationException):
    """The request did not fit the endpoint's declared parameters: answered 422."""


class ResponseValidationError(ValidationException):
    """The endpoint returned a value its response_model refuses: a server bug, answered 500."""
