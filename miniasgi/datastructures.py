"""The small containers a request is read through: URL, Headers, QueryParams, State...

HTTP allows a field to appear more than once: a query string `?tag=a&tag=b`
(the URL spec's application/x-www-form-urlencoded rules) or repeated header
lines (RFC 9110 §5.3). Each container here is therefore a *multi-dict*: the raw
list of (name, value) pairs is kept in order, and

    container[name]          one value: the LAST for query parameters and form
                             fields (a later value overrides), the FIRST for headers
    container.getlist(name)  every value, in order

Header names compare case-insensitively (RFC 9110 §5.1); the ASGI server
already lower-cases them, and lookups lower-case the name asked for.

Each container is built lazily by `Request` from the scope, so a request that
never looks at its cookies never parses them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from miniasgi.types import RawHeaders, Scope


class Address(NamedTuple):
    """The peer of a connection (scope["client"]): host and port."""

    host: str
    port: int


class URL(str):
    """A URL string with its parts readable as attributes: url.path, url.query...

    Built from the scope by `URL.from_scope`: scheme, the Host header (RFC 9110
    §7.2: the authority the client asked for) or else scope["server"], the root
    path, the path and the query string.
    """

    @classmethod
    def from_scope(cls, scope: Scope) -> URL:
        scheme = scope.get("scheme", "http")
        host = None
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value.decode("latin-1")
                break
        if host is None:
            server = scope.get("server")
            if server is None:
                host = ""
            else:
                server_host, port = server
                default_port = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
                host = server_host if port == default_port else f"{server_host}:{port}"
        root_path, path = scope.get("root_path", ""), scope["path"]
        if not path.startswith(root_path):  # servers that leave root_path out of path
            path = root_path + path
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{scheme}://{host}{path}" if host else path
        return cls(url + ("?" + query if query else ""))

    @property
    def _parts(self):
        return urlsplit(str(self))

    @property
    def scheme(self) -> str:
        return self._parts.scheme

    @property
    def netloc(self) -> str:
        return self._parts.netloc

    @property
    def hostname(self) -> str | None:
        return self._parts.hostname

    @property
    def port(self) -> int | None:
        return self._parts.port

    @property
    def path(self) -> str:
        return self._parts.path

    @property
    def query(self) -> str:
        return self._parts.query

    def replace(self, **parts: str) -> URL:
        """This URL with some parts changed: url.replace(path="/items/")."""
        return URL(self._parts._replace(**parts).geturl())

    def include_query_params(self, **params: Any) -> URL:
        pairs = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True)
                 if k not in params]
        pairs.extend((k, str(v)) for k, v in params.items())
        return self.replace(query=urlencode(pairs))


class MultiDict(Mapping[str, Any]):
    """An immutable multi-dict: `[key]` gives the last value, getlist() all of them."""

    __slots__ = ("_pairs", "_last")

    def __init__(self, pairs: list[tuple[str, Any]] | Mapping[str, Any] | None = None):
        if pairs is None:
            pairs = []
        elif isinstance(pairs, MultiDict):
            pairs = pairs.multi_items()
        elif isinstance(pairs, Mapping):
            pairs = list(pairs.items())
        self._pairs: list[tuple[str, Any]] = list(pairs)
        self._last: dict[str, Any] = dict(self._pairs)

    def __getitem__(self, key: str) -> Any:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def __contains__(self, key: object) -> bool:
        return key in self._last

    def getlist(self, key: str) -> list[Any]:
        return [value for name, value in self._pairs if name == key]

    def multi_items(self) -> list[tuple[str, Any]]:
        return list(self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return sorted(self._pairs) == sorted(other._pairs)
        return dict(self) == other

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"


class QueryParams(MultiDict):
    """The query string's parameters (`?q=x&tag=a&tag=b`), percent-decoded.

    Accepts the raw query string (bytes or str), a list of pairs or a mapping.
    Blank values are kept (`?q=` gives q == ""), as FastAPI keeps them.
    """

    __slots__ = ()

    def __init__(self, query: bytes | str | list | Mapping | None = None):
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        if isinstance(query, str):
            query = parse_qsl(query, keep_blank_values=True)
        super().__init__(query)

    def __str__(self) -> str:
        return urlencode(self._pairs)


class FormData(MultiDict):
    """Fields of a submitted form: strings, and UploadFile objects for files."""

    __slots__ = ()

    async def close(self) -> None:
        for _, value in self._pairs:
            if isinstance(value, UploadFile):
                await value.close()


class Headers(Mapping[str, str]):
    """Request or response header fields, case-insensitive (RFC 9110 §5.1).

    Wraps the ASGI list of (name, value) byte pairs without copying; `[name]`
    gives the first value, getlist() every value (repeated fields, RFC 9110 §5.3).
    """

    __slots__ = ("raw",)

    def __init__(self, headers: Mapping[str, str] | None = None, *,
                 raw: RawHeaders | None = None, scope: Scope | None = None):
        if scope is not None:
            raw = scope.get("headers", [])
        elif headers is not None:
            raw = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                   for name, value in headers.items()]
        self.raw: RawHeaders = list(raw) if raw is not None else []

    def __getitem__(self, name: str) -> str:
        wanted = name.lower().encode("latin-1")
        for key, value in self.raw:
            if key == wanted:
                return value.decode("latin-1")
        raise KeyError(name)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        wanted = name.lower().encode("latin-1")
        return any(key == wanted for key, _ in self.raw)

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for key, _ in self.raw:
            seen.setdefault(key.decode("latin-1"), None)
        return iter(seen)

    def __len__(self) -> int:
        return len(set(key for key, _ in self.raw))

    def getlist(self, name: str) -> list[str]:
        wanted = name.lower().encode("latin-1")
        return [value.decode("latin-1") for key, value in self.raw if key == wanted]

    def items(self):  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self.raw]

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"


class MutableHeaders(Headers):
    """Headers a response is still building: set, append, delete."""

    __slots__ = ()

    def __setitem__(self, name: str, value: str) -> None:
        """Replace every field called `name` with one field (RFC 9110 §5.2 list semantics
        do not apply: Set-Cookie, for one, must never be folded, so use append for it)."""
        key = name.lower().encode("latin-1")
        self.raw[:] = [(k, v) for k, v in self.raw if k != key]
        self.raw.append((key, value.encode("latin-1")))

    def __delitem__(self, name: str) -> None:
        key = name.lower().encode("latin-1")
        self.raw[:] = [(k, v) for k, v in self.raw if k != key]

    def append(self, name: str, value: str) -> None:
        self.raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))

    def setdefault(self, name: str, value: str) -> str:  # type: ignore[override]
        if name in self:
            return self[name]
        self.append(name, value)
        return value

    def update(self, other: Mapping[str, str]) -> None:
        for name, value in other.items():
            self[name] = value


class State:
    """An object that takes any attribute: app.state.db = ..., request.state.user = ...

    Backed by a plain dict so the lifespan's yielded state can be shared with it.
    """

    def __init__(self, values: dict[str, Any] | None = None):
        object.__setattr__(self, "_values", {} if values is None else values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"state has no attribute {name!r}: set it first (for example in the "
                f"lifespan: yield {{{name!r}: ...}}, or app.state.{name} = ...)"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = value

    def __delattr__(self, name: str) -> None:
        del self._values[name]


class UploadFile:
    """A file sent in a multipart/form-data body (RFC 7578 §4.2).

    The content sits in a SpooledTemporaryFile: in memory while small, on disk
    past `max_memory_size` bytes, so a large upload does not fill the RAM. The
    async methods match FastAPI's; `file` is the underlying file object.
    """

    max_memory_size = 1024 * 1024

    def __init__(self, file=None, *, filename: str | None = None,
                 headers: Headers | None = None, size: int | None = None):
        self.file = file if file is not None else tempfile.SpooledTemporaryFile(
            max_size=self.max_memory_size)
        self.filename = filename
        self.headers = headers if headers is not None else Headers()
        self.size = size

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    async def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    async def write(self, data: bytes) -> None:
        self.file.write(data)
        self.size = (self.size or 0) + len(data)

    async def seek(self, offset: int) -> None:
        self.file.seek(offset)

    async def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return f"UploadFile(filename={self.filename!r}, size={self.size!r}, " \
               f"content_type={self.content_type!r})"
