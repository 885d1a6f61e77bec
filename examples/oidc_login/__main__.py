"""python -m examples.oidc_login: the app, and a local OpenID provider unless Google is set.

    python -m examples.oidc_login [--host H] [--port P] [--loop mini|asyncio|uvloop] [--trace]

Offline (OIDC_ISSUER unset) the local provider listens on port P + 1 and the
app on P, both in this process and on one event loop: two servers, two
listening sockets. That works because the app's calls to the provider (the
code exchange, the key set) run in the thread pool, so the loop stays free to
answer them. With OIDC_ISSUER set, only the app runs (see app.py for the
variables).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys

from miniauth.oidc_provider import ClientRegistration, LocalProvider
from minihttp.config import Config, ConfigError
from minihttp.main import Server, StopSignals, bind_socket, configure_logging, loop_factory

from .app import create_app, settings_from_environment

LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET = "oidc-login-example", "local-secret"


def build_apps(host: str, port: int, environ=os.environ) -> list[tuple[object, int, str]]:
    """[(app, port, what)] to serve: the app, and the local provider when Google is not set."""
    if environ.get("OIDC_ISSUER"):
        return [(create_app(settings_from_environment(environ)), port, "the app")]
    issuer = f"http://{host}:{port + 1}"
    provider = LocalProvider(
        issuer,
        [ClientRegistration(LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET,
                            (f"http://{host}:{port}/auth/callback",))],
        auto_approve=not environ.get("PROVIDER_CONSENT"),
    )
    local = {**environ, "OIDC_CLIENT_ID": LOCAL_CLIENT_ID,
             "OIDC_CLIENT_SECRET": LOCAL_CLIENT_SECRET}
    app = create_app(settings_from_environment(local, issuer=issuer),
                     provider_name="Google (played by the local provider)")
    return [(app, port, "the app"), (provider.app, port + 1, "the local OpenID provider")]


async def serve_all(configs: list[Config], sockets: list[socket.socket]) -> int:
    """Start a server per config on this loop; at Ctrl+C (or SIGTERM) stop them all."""
    servers = []
    for config, listening_socket in zip(configs, sockets, strict=True):
        server = Server(config)
        servers.append(server)
        if await server.start(listening_socket) != 0:
            await asyncio.gather(*(started.stop() for started in servers))
            return 1
    signals = StopSignals(asyncio.get_running_loop())
    try:
        await signals.first.wait()  # a second signal stops waiting for requests in flight
        statuses = await asyncio.gather(*(server.stop(force=signals.second) for server in servers))
    finally:
        signals.remove()
    return max(statuses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.oidc_login")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--loop", default="mini", choices=["mini", "asyncio", "uvloop"])
    parser.add_argument("--trace", action="store_true")
    arguments = parser.parse_args(argv)
    try:
        apps = build_apps(arguments.host, arguments.port)
        configs = [Config(app=app, host=arguments.host, port=port, loop=arguments.loop,
                          trace=arguments.trace, lifespan="off") for app, port, _ in apps]
        sockets = [bind_socket(config) for config in configs]
    except (ValueError, ConfigError) as error:  # ConfigError: e.g. a port already in use
        print(f"oidc_login: {error}", file=sys.stderr)
        return 1
    configure_logging(configs[0])
    for _, port, what in apps:
        print(f"{what}: http://{arguments.host}:{port}/", flush=True)
    print(f"open http://{arguments.host}:{arguments.port}/ and click Sign in; Ctrl+C stops",
          flush=True)
    with asyncio.Runner(loop_factory=loop_factory(arguments.loop)) as runner:
        return runner.run(serve_all(configs, sockets))


if __name__ == "__main__":
    sys.exit(main())
