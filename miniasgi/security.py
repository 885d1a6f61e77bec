"""The hook that security schemes plug into: SecurityBase and SecurityScopes.

A security scheme (an OAuth2 bearer token, an API key header, HTTP Basic) is two
things at once:

1. a dependency: an instance is callable with the request, and returns the
   credential it found (or raises 401), so `token: str = Depends(oauth2_scheme)`
   works like any other dependency;
2. a description for the OpenAPI document: `openapi_scheme()` returns its
   Security Scheme Object (OpenAPI 3.1 §4.8.27), which the app lists under
   components.securitySchemes[scheme_name], and every route that depends on it
   (directly or through other dependencies) gets a security requirement
   (§4.8.30) naming it with the scopes asked for by `Security(..., scopes=[...])`.

miniasgi only defines the hook; the schemes themselves live in miniauth.

SecurityScopes is what a dependency declares to learn which scopes the routes
above it require: `def current_user(scopes: SecurityScopes, token = Depends(...))`
gets every scope named by Security() on the way from the endpoint down to it.
"""

from __future__ import annotations


class SecurityBase:
    """Base class of security-scheme dependencies (subclasses define __call__)."""

    scheme_name: str = ""

    def openapi_scheme(self) -> dict:
        """The Security Scheme Object, such as {"type": "http", "scheme": "bearer"}."""
        raise NotImplementedError(
            f"{type(self).__name__} must define openapi_scheme() returning its OpenAPI "
            "Security Scheme Object, e.g. {'type': 'http', 'scheme': 'bearer'}"
        )

    def security_scheme_name(self) -> str:
        return self.scheme_name or type(self).__name__


class SecurityScopes:
    """The scopes required on the way to this dependency: .scopes and .scope_str."""

    def __init__(self, scopes: list[str] | None = None):
        self.scopes: list[str] = list(scopes or [])
        self.scope_str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"
