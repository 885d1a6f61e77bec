"""The app: a home page with a "Sign in with Google" link, /me, and sign out.

`create_app(settings)` builds it around a RelyingParty (miniauth.oidc), which
adds GET /auth/login, GET /auth/callback and POST /auth/logout. The session is
a signed cookie the RelyingParty sets after a good login; `current_user` reads
it. `settings_from_environment()` reads OIDC_ISSUER, OIDC_CLIENT_ID,
OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI (to pin it) and SECRET_KEY.
"""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Mapping

from miniasgi import App, Depends, HTMLResponse, Request
from miniauth.oidc import OIDCSettings, RelyingParty
from miniauth.oidc_tokens import GOOGLE_ISSUER, LoginError


def settings_from_environment(environ: Mapping[str, str] = os.environ, *,
                              issuer: str | None = None) -> OIDCSettings:
    """Settings for Google (or any issuer) from the environment; `issuer` is the local default."""
    issuer = environ.get("OIDC_ISSUER") or issuer
    missing = [name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not environ.get(name)]
    if not issuer or missing:
        raise ValueError(
            f"set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (missing: "
            f"{missing or ['OIDC_ISSUER']}); or unset OIDC_ISSUER to use the local provider")
    return OIDCSettings(
        issuer=issuer,
        client_id=environ["OIDC_CLIENT_ID"],
        client_secret=environ["OIDC_CLIENT_SECRET"],
        # a per-process key: sessions end when the server restarts, fine for an example
        cookie_secret=environ.get("SECRET_KEY") or secrets.token_bytes(32),
        redirect_uri=environ.get("OIDC_REDIRECT_URI") or None,
        authorization_parameters={"prompt": "select_account"} if issuer == GOOGLE_ISSUER else {},
    )


def create_app(settings: OIDCSettings, provider_name: str = "Google") -> App:
    login = RelyingParty(settings, on_failure=failure_page)
    app = App(title="Sign in with Google (ministack example)")
    app.include_router(login.router())
    app.state.login = login

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> str:
        user = login.user(request)
        if user is None:
            return page(f'<p><a href="/auth/login?next=/">Sign in with '
                        f'{html.escape(provider_name)}</a></p>')
        who = html.escape(str(user.get("name") or user.get("email") or user["sub"]))
        return page(f"<p>Hello, {who}!</p><p><a href=\"/me\">What the app knows</a></p>"
                    '<form method="post" action="/auth/logout"><button>Sign out</button></form>')

    @app.get("/me")
    def me(user: dict = Depends(login.current_user)) -> dict:
        return user

    return app


def failure_page(request: Request, error: LoginError) -> HTMLResponse:
    """A refused login, as a person reads it: the reason, and a way back."""
    return HTMLResponse(page(f"<h1>Sign-in failed</h1><p>{html.escape(error.reason)}</p>"
                             '<p><a href="/">Back to the start</a></p>'),
                        status_code=error.status)


def page(body: str) -> str:
    return f"<!doctype html><meta charset=utf-8><title>Sign in example</title>{body}"
