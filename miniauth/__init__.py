"""miniauth: JWT, passwords, OAuth2, OIDC and RBAC written from scratch.

The token and password modules are pure: no I/O, no framework.
"""
