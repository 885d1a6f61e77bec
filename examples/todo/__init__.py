"""The todo API: one production-shaped app that uses every layer of ministack.

What it shows: how an app is layered, and how each layer of the stack serves it.

    settings.py        configuration from environment variables (12-factor)
    models.py          tables, as miniorm models
    schemas.py         what goes in and out over HTTP, as miniasgi models
    database.py        one session per request, a generator dependency
    security.py        passwords, tokens, the current user, roles (miniauth)
    routers/auth.py    POST /token (OAuth2 password flow), /token/refresh, /logout
    routers/users.py   register, /me, the admin's user list
    routers/todos.py   create, read, list (paging, filters, order), update, delete
    main.py            the app factory that joins them: create_app(settings)

Run it:     python -m examples.todo            (http://127.0.0.1:8000/docs)
            python -m examples.todo create-admin ada@example.com
            uvicorn examples.todo.main:app     (the same app on another server)
Try:        the walk in README.md: register, log in, create, list, a 401, a 403.
            python -m minihttp examples.todo.main:app --trace  (every layer's work)

What it leaves out: e-mail verification, password reset, rate limiting of the
login endpoint — each a must in a real service, each its own lesson.
"""
