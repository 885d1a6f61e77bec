"""HTTP status codes as named constants (RFC 9110 §15), spelled as FastAPI spells them.

`status.HTTP_404_NOT_FOUND == 404`. Writing the name next to the number keeps both
in the reader's view: the code a client sees and what it means. The names are
generated from the standard library's `http.HTTPStatus` (which follows the IANA
registry), so every registered code has one: HTTP_<code>_<PHRASE>.

Two spellings are kept for codes the RFCs renamed, as FastAPI keeps them:
413 CONTENT_TOO_LARGE / REQUEST_ENTITY_TOO_LARGE and 422 UNPROCESSABLE_CONTENT /
UNPROCESSABLE_ENTITY (RFC 9110 renamed both).
"""

from __future__ import annotations

import http

for _status in http.HTTPStatus:
    globals()[f"HTTP_{_status.value}_{_status.name}"] = _status.value

HTTP_413_CONTENT_TOO_LARGE = 413
HTTP_413_REQUEST_ENTITY_TOO_LARGE = 413
HTTP_416_RANGE_NOT_SATISFIABLE = 416
HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE = 416
HTTP_422_UNPROCESSABLE_CONTENT = 422
HTTP_422_UNPROCESSABLE_ENTITY = 422

del _status


def allows_body(status_code: int) -> bool:
    """False for the statuses whose response never carries content (RFC 9110 §6.4.1):
    1xx, 204 No Content and 304 Not Modified."""
    return not (status_code < 200 or status_code in (204, 304))
