"""The interactive API docs page (/docs), served entirely from this package.

The page is three small files in miniasgi/static/: docs.html (the frame),
docs.js (fetches the OpenAPI document, draws one panel per operation grouped by
tag, and sends "Try it" requests with fetch()) and docs.css. Nothing is loaded
from another host - no CDN, no web font - so the docs work on a laptop with no
network, and the page's Content-Security-Policy can say so: "default-src 'self'".

The split of work with the app:

    GET {docs_url}                -> docs_html(openapi_url=..., title=..., assets_url=...)
    GET {docs_url}/assets/{name}  -> docs_asset(name)  (None: answer 404)

Settings reach the script through data- attributes on the <script> element
rather than through inline JavaScript, which the page's CSP forbids
('unsafe-inline' is not granted: an injected <script> in a title could not run).
Every value put into the HTML is escaped (html.escape, quote=True).
"""

from __future__ import annotations

import html
import re
from importlib import resources

# The only files docs_asset() will hand out: a fixed list, so a request for
# "../app.py" or "docs.html" can never read anything else from the package.
ASSET_MEDIA_TYPES = {
    "docs.js": "text/javascript; charset=utf-8",
    "docs.css": "text/css; charset=utf-8",
}

# Sent by the app with the page (see docs_headers); 'self' covers the assets, the
# OpenAPI document and the "Try it" requests, all on the app's own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'self'"
)


PLACEHOLDER = re.compile(r"\{\{(?:title|openapi_url|assets_url)\}\}")


def _read_static(name: str) -> bytes:
    return resources.files("miniasgi").joinpath("static", name).read_bytes()


def docs_html(*, openapi_url: str, title: str, assets_url: str) -> str:
    """Return the docs page for the document at `openapi_url`.

    `assets_url` is the URL prefix the app serves docs_asset() under, such as
    "/docs/assets" (a trailing slash is allowed). `title` becomes the tab title
    until the document's own info.title replaces it.
    """
    template = _read_static("docs.html").decode("utf-8")
    assets_url = assets_url.rstrip("/")
    values = {
        "{{title}}": html.escape(title, quote=True),
        "{{openapi_url}}": html.escape(openapi_url, quote=True),
        "{{assets_url}}": html.escape(assets_url, quote=True),
    }
    # One pass, so a title that happens to contain "{{openapi_url}}" stays as written.
    return PLACEHOLDER.sub(lambda match: values[match.group(0)], template)


def docs_asset(name: str) -> tuple[bytes, str] | None:
    """Return (content, media type) of the docs asset `name`, or None if there is none.

    Only the names in ASSET_MEDIA_TYPES exist; anything else, including paths with
    slashes or "..", is None, so the app can answer 404 without further checks.
    """
    media_type = ASSET_MEDIA_TYPES.get(name)
    if media_type is None:
        return None
    return _read_static(name), media_type


def docs_headers() -> dict[str, str]:
    """Headers to send with docs_html(): the CSP that keeps the page self-contained."""
    return {"content-security-policy": CONTENT_SECURITY_POLICY}
