"""Sign in with Google, end to end, offline or for real.

What it shows: the OpenID Connect login a "Sign in with Google" button starts,
with every hop visible: the app redirects to the provider with state, nonce
and a PKCE challenge; the provider sends the browser back with a code; the app
trades the code for an id_token, checks it, and starts its own session.

    app.py        the app: a home page with the sign-in link, /me, sign out
                  (miniauth.oidc.RelyingParty does the protocol)
    __main__.py   runs it, with a local OpenID provider on the next port
                  (miniauth.oidc_provider.LocalProvider) unless Google is configured

Run it:     python -m examples.oidc_login         (open http://127.0.0.1:8000/)
            Click "Sign in", watch the address bar hop to 127.0.0.1:8001 and back.
For real:   create an OAuth client at console.cloud.google.com (type "Web
            application", redirect URI http://127.0.0.1:8000/auth/callback), then
                OIDC_ISSUER=https://accounts.google.com OIDC_CLIENT_ID=... \\
                OIDC_CLIENT_SECRET=... python -m examples.oidc_login
Try:        curl -i http://127.0.0.1:8000/auth/login   (the redirect and the login cookie)
            PROVIDER_CONSENT=1 python -m examples.oidc_login   (a consent form, and "Deny")
            python -m examples.oidc_login --trace          (every request, layer by layer)

What it leaves out: accounts of its own (a user is whoever the provider says),
linking several providers to one user, and the provider's logout (RP-initiated
logout, a spec of its own): "Sign out" ends this app's session only.
"""
