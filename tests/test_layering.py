"""The layering rules of DESIGN.md, checked by reading every module's imports.

- minihttp and miniasgi never import each other: they meet only through ASGI.
- miniorm imports none of the other packages.
- miniauth's pure modules (jwt, jwk, rsa, passwords, tokens, oidc_tokens) import no
  framework and no server.
- minihttp, miniasgi and miniauth use only the standard library at run time;
  the few named exceptions (uvloop as optional speed, httpx for the TestClient,
  psycopg for miniorm) are listed below, module by module.

The imports are read with `ast`, not by importing, so a forbidden import inside a
function or behind `if TYPE_CHECKING` is caught too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("minihttp", "miniasgi", "miniorm", "miniauth")

# package -> the other ministack packages it must never import
FORBIDDEN = {
    "minihttp": {"miniasgi", "miniorm", "miniauth"},
    "miniasgi": {"minihttp", "miniorm", "miniauth"},
    "miniorm": {"minihttp", "miniasgi", "miniauth"},
    "miniauth": {"minihttp", "miniorm"},
}
PURE_AUTH_MODULES = {
    "miniauth.jwt", "miniauth.jwk", "miniauth.rsa", "miniauth.passwords", "miniauth.errors",
    "miniauth.tokens", "miniauth.oidc_tokens",
}

# module prefix -> third-party top-level names it may import
ALLOWED_THIRD_PARTY = {
    "minihttp": {"uvloop"},  # optional: imported only when --loop uvloop is asked for
    "miniasgi.testclient": {"httpx"},
    "miniorm": {"psycopg"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    tree = ast.parse(source)
    found: set[str] = set()
    package = module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                base = package.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return found


def all_modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def allowed_third_party(module: str) -> set[str]:
    allowed: set[str] = set()
    for prefix, names in ALLOWED_THIRD_PARTY.items():
        if module == prefix or module.startswith(prefix + "."):
            allowed |= names
    return allowed


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: module_name(p))
def test_module_respects_the_layers(path: Path) -> None:
    module = module_name(path)
    own_package = module.split(".")[0]
    problems = []
    source = path.read_text(encoding="utf-8")
    for imported in sorted(imported_modules(source, module, path.name == "__init__.py")):
        top = imported.split(".")[0]
        if top in FORBIDDEN[own_package]:
            problems.append(f"{module} imports {imported}: {own_package} must never import {top}")
        elif module in PURE_AUTH_MODULES and top in PACKAGES and top != "miniauth":
            problems.append(f"{module} imports {imported}: token and password code stays pure")
        elif top in PACKAGES or top in sys.stdlib_module_names or top == "__future__":
            continue
        elif top not in allowed_third_party(module):
            problems.append(
                f"{module} imports third-party {top!r}: only the standard library is allowed "
                f"here (allowed extras for this module: {sorted(allowed_third_party(module))})"
            )
    assert not problems, "\n".join(problems)


def test_the_import_reader_sees_relative_and_nested_imports() -> None:
    # The checker must itself be able to fail: a nested, relative import is found.
    source = "def f():\n    from ..miniasgi import routing\n    import uvloop\n"
    assert imported_modules(source, "minihttp.probe") == {"miniasgi", "uvloop"}
    assert imported_modules("from . import jwt", "miniauth", is_package=True) == {"miniauth"}
    assert imported_modules("from .jwt import encode", "miniauth.security") == {"miniauth.jwt"}
