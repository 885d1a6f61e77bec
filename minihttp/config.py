"""The server's options, checked once, in one place.

Every knob of ``python -m minihttp`` and of ``minihttp.run(app, **options)`` is a
field of :class:`Config`. Values are validated when the config is built, so a
wrong option fails at startup with a message that names the option, the bad
value and what to write instead, and never later in the middle of a request.

The defaults follow the precedents a reader may know:

- keep-alive idle timeout 5 s (Uvicorn's default; nginx uses 75 s, but a
  Python worker holds more memory per idle connection than nginx does);
- request-head timeout 10 s, the slow-loris guard: a client that opens a
  connection and dribbles its head one byte at a time would otherwise pin a
  connection slot forever (Apache's mod_reqtimeout uses 20-40 s);
- graceful shutdown waits at most 30 s for in-flight requests (Kubernetes'
  default ``terminationGracePeriodSeconds``).
"""

from __future__ import annotations

import dataclasses
import importlib
import ipaddress
import logging
import sys
from typing import Any

from minihttp.http11 import Limits

LOOP_NAMES = ("mini", "asyncio", "uvloop")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LIFESPAN_MODES = ("auto", "on", "off")


class ConfigError(ValueError):
    """An option has a value the server cannot use; the message says which and why."""


@dataclasses.dataclass
class Config:
    app: Any  # an ASGI app, or "module:attribute" to import
    host: str = "127.0.0.1"
    port: int = 8000
    uds: str | None = None
    fd: int | None = None
    loop: str = "mini"
    workers: int = 1
    reload: bool = False
    reload_dirs: list[str] = dataclasses.field(default_factory=list)
    factory: bool = False
    lifespan: str = "auto"
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    root_path: str = ""
    timeout_keep_alive: float = 5.0
    timeout_request_head: float = 10.0
    timeout_graceful_shutdown: float = 30.0
    limit_concurrency: int | None = None
    backlog: int = 2048
    log_level: str = "info"
    access_log: bool = True
    trace: bool = False
    server_header: bool = True
    max_request_line: int = 8190  # the parser's limits (minihttp.http11.Limits): 414 beyond
    max_header_bytes: int = 65536  # 431 beyond
    max_headers: int = 100  # 431 beyond
    max_body_size: int | None = None  # 413 beyond; None: unlimited
    limits: Any = None  # a minihttp.http11.Limits; built from the four fields above if None

    def __post_init__(self) -> None:
        if self.limits is None:
            try:
                self.limits = Limits(
                    max_request_line=self.max_request_line,
                    max_header_bytes=self.max_header_bytes,
                    max_headers=self.max_headers,
                    max_body_size=self.max_body_size,
                )
            except ValueError as error:
                raise ConfigError(f"{error}: pass the option as a whole number of bytes") from None
        self._check_listen_address()
        self._check_numbers()
        self._check_choices()
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise ConfigError(
                f"root_path {self.root_path!r} must start with '/' and not end with '/': "
                "write it as '/api', the prefix a proxy strips before the request reaches us"
            )
        if self.reload and not isinstance(self.app, str):
            raise ConfigError(
                "reload needs the app as an import string so each restart can import it "
                "afresh: pass 'module:app' instead of the app object"
            )

    def _check_listen_address(self) -> None:
        if self.uds is not None and self.fd is not None:
            raise ConfigError("choose one of uds and fd, not both: each names a listening socket")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(
                f"port {self.port!r} is not a TCP port: use 1-65535, or 0 to let the kernel pick"
            )

    def _check_numbers(self) -> None:
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ConfigError(f"workers must be a whole number >= 1, got {self.workers!r}")
        for name in ("timeout_keep_alive", "timeout_request_head", "timeout_graceful_shutdown"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{name} must be a number of seconds > 0, got {value!r}")
        if self.limit_concurrency is not None and (
            not isinstance(self.limit_concurrency, int) or self.limit_concurrency < 1
        ):
            raise ConfigError(
                f"limit_concurrency must be a whole number >= 1 or None, "
                f"got {self.limit_concurrency!r}"
            )

    def _check_choices(self) -> None:
        if self.loop not in LOOP_NAMES:
            raise ConfigError(f"unknown loop {self.loop!r}: choose one of {', '.join(LOOP_NAMES)}")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(
                f"unknown log level {self.log_level!r}: choose one of {', '.join(LOG_LEVELS)}"
            )
        if self.lifespan not in LIFESPAN_MODES:
            raise ConfigError(
                f"unknown lifespan mode {self.lifespan!r}: choose one of "
                f"{', '.join(LIFESPAN_MODES)}"
            )
        try:
            self.trusted_proxies()
        except ValueError as error:
            raise ConfigError(
                f"forwarded_allow_ips {self.forwarded_allow_ips!r} is not a list of addresses: "
                f"{error}; write e.g. '127.0.0.1,10.0.0.0/8' or '*' to trust every peer"
            ) from None

    def trusted_proxies(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
        """The networks whose X-Forwarded-* headers we believe; None means every peer."""
        text = self.forwarded_allow_ips.strip()
        if text == "*":
            return None
        return [ipaddress.ip_network(part.strip()) for part in text.split(",") if part.strip()]

    @property
    def python_log_level(self) -> int:
        return 5 if self.log_level == "trace" else getattr(logging, self.log_level.upper())

    def listen_description(self) -> str:
        if self.uds is not None:
            return f"unix:{self.uds}"
        if self.fd is not None:
            return f"file descriptor {self.fd}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def import_from_string(import_string: str) -> Any:
    """Import ``"package.module:attribute.path"`` and return the attribute.

    Raises ConfigError with the reason when the string is malformed, the module
    cannot be imported, or the attribute is missing.
    """
    module_name, colon, attribute_path = import_string.partition(":")
    if not colon or not module_name or not attribute_path:
        raise ConfigError(
            f"app {import_string!r} must be written as 'module:attribute', e.g. 'examples.hello:app'"
        )
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # like `python -m`, find modules in the current directory
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name and not module_name.startswith(f"{error.name}."):
            raise  # the module exists but itself imports something missing: show that
        raise ConfigError(
            f"could not import module {module_name!r} for app {import_string!r}: "
            "check the spelling and that you run from the directory that contains it"
        ) from None
    for attribute in attribute_path.split("."):
        try:
            target = getattr(target, attribute)
        except AttributeError:
            raise ConfigError(
                f"module {module_name!r} has no attribute {attribute_path!r}: "
                f"check the name after the ':' in {import_string!r}"
            ) from None
    return target


def load_app(config: Config) -> Any:
    """The ASGI app the config names: imported if a string, called if a factory."""
    app = import_from_string(config.app) if isinstance(config.app, str) else config.app
    if config.factory:
        if not callable(app):
            raise ConfigError(f"factory {config.app!r} is not callable: --factory needs a function")
        app = app()
    if not callable(app):
        raise ConfigError(
            f"app {config.app!r} is a {type(app).__name__}, not an ASGI application: "
            "it must be callable as app(scope, receive, send)"
        )
    return app
