"""python -m miniorm migrate ...: the same as python -m miniorm.migrations ...

    python -m miniorm migrate upgrade head
    python -m miniorm migrate revision -m "add todo.priority" --autogenerate

miniorm has one command today, so this module only names it and hands over.
"""

from __future__ import annotations

import sys

COMMANDS = ("migrate",)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m miniorm migrate [init|revision|upgrade|downgrade|current|"
              "history|heads|check|stamp] ...\n(see python -m miniorm migrate --help)",
              file=sys.stderr)
        return 2
    from miniorm.migrations.__main__ import main as migrate

    return migrate(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
