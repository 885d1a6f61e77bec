"""Parameter markers: where an endpoint's argument comes from, and its limits.

    def read_items(
        item_id: int = Path(ge=1),                      # /items/{item_id}
        q: str | None = Query(None, max_length=50),     # ?q=...
        tags: list[str] = Query([]),                    # ?tags=a&tags=b (repeats)
        user_agent: str | None = Header(None),          # User-Agent: (underscores -> "-")
        session: str | None = Cookie(None),             # Cookie: session=...
        item: Item = Body(embed=True),                  # {"item": {...}}
        name: str = Form(),  upload: UploadFile = File(),   # a submitted form
        user: User = Depends(current_user),             # a dependency's result
    ): ...

The same markers work inside `Annotated[int, Query(ge=1)] = 5`, FastAPI's newer
style, where the Python default is the parameter's default. A parameter
without a marker follows FastAPI's rules (see miniasgi.dependencies): a name in
the path template is a path parameter, a model is the body, anything else is a
query parameter.

A marker is plain data, read once when the route is added; nothing here runs
per request. `...` (Ellipsis, the default) means "required".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from miniasgi.validation import Constraints

Required: Any = ...  # the "no default: the client must send it" marker, as in FastAPI


class Param:
    """A value taken from the request: its location, default, alias, limits and docs."""

    location = "query"

    def __init__(self, default: Any = Required, *, default_factory: Callable | None = None,
                 alias: str | None = None, title: str | None = None,
                 description: str | None = None, gt: Any = None, ge: Any = None,
                 lt: Any = None, le: Any = None, multiple_of: Any = None,
                 min_length: int | None = None, max_length: int | None = None,
                 pattern: str | None = None, regex: str | None = None,
                 examples: list | None = None, deprecated: bool = False,
                 include_in_schema: bool = True, **unsupported: Any):
        if unsupported:
            names = ", ".join(sorted(unsupported))
            raise TypeError(f"{type(self).__name__}() got unsupported option(s) {names}: "
                            "miniasgi supports default, alias, title, description, "
                            "gt/ge/lt/le/multiple_of, min_length/max_length, pattern, "
                            "examples, deprecated, include_in_schema")
        self.default = default
        self.default_factory = default_factory
        self.alias = alias
        self.title = title
        self.description = description
        constraints = Constraints(gt=gt, ge=ge, lt=lt, le=le, multiple_of=multiple_of,
                                  min_length=min_length, max_length=max_length,
                                  pattern=pattern if pattern is not None else regex)
        self.constraints = None if constraints.is_empty() else constraints
        self.examples = examples
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default!r})"


class Path(Param):
    location = "path"

    def __init__(self, default: Any = Required, **options: Any):
        # A path parameter is always sent: the route does not match without it.
        super().__init__(Required, **options)


class Query(Param):
    location = "query"


class Header(Param):
    """A request header field; `user_agent` reads "user-agent" unless convert_underscores=False."""

    location = "header"

    def __init__(self, default: Any = Required, *, convert_underscores: bool = True,
                 **options: Any):
        super().__init__(default, **options)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    location = "cookie"


class Body(Param):
    """A JSON body value; embed=True expects {"name": value} even for a single parameter."""

    location = "body"

    def __init__(self, default: Any = Required, *, embed: bool | None = None,
                 media_type: str = "application/json", **options: Any):
        super().__init__(default, **options)
        self.embed = embed
        self.media_type = media_type


class Form(Body):
    """A field of a submitted form (application/x-www-form-urlencoded or multipart)."""

    location = "form"

    def __init__(self, default: Any = Required, *,
                 media_type: str = "application/x-www-form-urlencoded", **options: Any):
        super().__init__(default, embed=True, media_type=media_type, **options)


class File(Form):
    """An uploaded file of a multipart/form-data body: annotate UploadFile or bytes."""

    location = "file"

    def __init__(self, default: Any = Required, *, media_type: str = "multipart/form-data",
                 **options: Any):
        super().__init__(default, media_type=media_type, **options)


class Depends:
    """Take the argument from another function's result: `user = Depends(current_user)`.

    The dependency's own parameters are resolved the same way, so dependencies
    nest. With use_cache (the default) a dependency used twice in one request
    runs once and both users get the same value.
    """

    def __init__(self, dependency: Callable[..., Any] | None = None, *, use_cache: bool = True):
        if dependency is not None and not callable(dependency):
            raise TypeError(
                f"Depends() needs a function (or class) to call, got {dependency!r}: "
                f"write Depends(get_db), not Depends(get_db())"
            )
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__name__", type(self.dependency).__name__)
        cache = "" if self.use_cache else ", use_cache=False"
        return f"{type(self).__name__}({name}{cache})"


class Security(Depends):
    """Depends, plus the OAuth2 scopes this use requires (collected into SecurityScopes)."""

    def __init__(self, dependency: Callable[..., Any] | None = None, *,
                 scopes: Sequence[str] | None = None, use_cache: bool = True):
        super().__init__(dependency, use_cache=use_cache)
        self.scopes = list(scopes or [])
