"""Dependencies written under `from __future__ import annotations` (all annotations are strings),
as library code such as miniauth's security schemes is: used by test_dependencies."""

from __future__ import annotations

from miniasgi import Header, Request


class ApiKeyScheme:
    async def __call__(self, request: Request, x_api_key: str = Header()) -> str:
        return f"{request.method} {x_api_key}"


scheme = ApiKeyScheme()


def scaled(number: int, factor: int = 1) -> int:
    return number * factor
