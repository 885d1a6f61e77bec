"""The command line: ``python -m minihttp MODULE:APP [options]``.

Every option maps to one field of :class:`minihttp.config.Config`, so the CLI
and ``minihttp.run(app, **options)`` accept the same things and check them in
the same place. Try ``python -m minihttp --help``.
"""

from __future__ import annotations

import argparse
import sys

from minihttp.config import LOG_LEVELS, LOOP_NAMES, ConfigError

EXAMPLES = """\
examples:
  python -m minihttp examples.hello:app
  python -m minihttp examples.hello:app --port 8080 --loop uvloop --workers 4
  python -m minihttp myproject.app:create_app --factory --reload
  python -m minihttp examples.hello:app --uds /tmp/hello.sock --no-access-log
  python -m minihttp examples.hello:app --trace        # watch one request go through every layer
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m minihttp",
        description="Serve an ASGI application over HTTP/1.1.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the ASGI app to serve, e.g. main:app")
    where = parser.add_argument_group("where to listen")
    where.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    where.add_argument("--port", type=int, default=8000, help="TCP port, 0 for any (default 8000)")
    where.add_argument("--uds", metavar="PATH", help="listen on this Unix socket instead")
    where.add_argument("--fd", type=int, help="serve an already listening socket by its descriptor")
    how = parser.add_argument_group("how to run")
    how.add_argument("--loop", choices=LOOP_NAMES, default="mini",
                     help="event loop: mini (minihttp's own, default), asyncio or uvloop")
    how.add_argument("--workers", type=int, default=1, metavar="N",
                     help="pre-fork N worker processes (default 1)")
    how.add_argument("--reload", action="store_true",
                     help="restart the worker when a .py file changes (for development)")
    how.add_argument("--reload-dir", action="append", dest="reload_dirs", default=[],
                     metavar="DIR", help="directory to watch with --reload (default: current)")
    how.add_argument("--factory", action="store_true",
                     help="MODULE:APP names a function that returns the app")
    how.add_argument("--lifespan", choices=("auto", "on", "off"), default="auto",
                     help="ASGI lifespan events: auto (default) uses them if the app does")
    http = parser.add_argument_group("HTTP")
    http.add_argument("--proxy-headers", action="store_true",
                      help="trust X-Forwarded-For/-Proto from the addresses below")
    http.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS",
                      help="comma-separated addresses or networks to trust, or '*'")
    http.add_argument("--root-path", default="", metavar="PATH",
                      help="the prefix the app is mounted under behind a proxy, e.g. /api")
    http.add_argument("--timeout-keep-alive", type=float, default=5.0, metavar="SECONDS",
                      help="close idle keep-alive connections after this long (default 5)")
    http.add_argument("--timeout-request-head", type=float, default=10.0, metavar="SECONDS",
                      help="answer 408 when a request head takes longer (default 10)")
    http.add_argument("--timeout-graceful-shutdown", type=float, default=30.0, metavar="SECONDS",
                      help="how long a shutdown waits for requests in flight (default 30)")
    http.add_argument("--limit-concurrency", type=int, metavar="N",
                      help="answer 503 beyond N open connections or requests in flight")
    http.add_argument("--max-request-line", type=int, default=8190, metavar="BYTES",
                      help="longest request line; longer gets 414 (default 8190)")
    http.add_argument("--max-header-bytes", type=int, default=65536, metavar="BYTES",
                      help="largest request head; larger gets 431 (default 65536)")
    http.add_argument("--max-headers", type=int, default=100, metavar="N",
                      help="most header lines; more gets 431 (default 100)")
    http.add_argument("--max-body-size", type=int, metavar="BYTES",
                      help="largest request body; larger gets 413 (default: no limit)")
    logs = parser.add_argument_group("logging")
    logs.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    logs.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True,
                      help="log one line per request (default on)")
    logs.add_argument("--trace", action="store_true",
                      help="print what every layer did for each request: bytes, events, "
                           "scope, ASGI messages, timings")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = vars(build_parser().parse_args(argv))
    app = arguments.pop("app")
    from minihttp.main import run

    try:
        return run(app, **arguments)
    except ConfigError as error:
        print(f"minihttp: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
