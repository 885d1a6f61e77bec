"""Helpers for the migration tests (no tests here): revision files written on the fly."""

from __future__ import annotations

import textwrap
from pathlib import Path

from miniorm.migrations.schema import Schema, normalized_sql_type

REVISION = '''"""{message}"""

from miniorm.migrations import operations as op

revision = {revision!r}
down_revision = {down_revision!r}


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


def write_revision(directory: Path, revision: str, down_revision: str | None,
                   upgrade: str = "pass", downgrade: str = "pass",
                   message: str | None = None, file_name: str | None = None) -> Path:
    """Write versions/<file_name or revision>.py with the given function bodies."""
    versions = directory / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    path = versions / f"{file_name or revision}.py"
    path.write_text(REVISION.format(
        message=message or f"revision {revision}", revision=revision,
        down_revision=down_revision,
        upgrade=textwrap.indent(textwrap.dedent(upgrade).strip(), "    "),
        downgrade=textwrap.indent(textwrap.dedent(downgrade).strip(), "    "),
    ))
    return path


def comparable(schema: Schema, dialect, ordered: bool = True) -> dict:
    """A schema with types as the dialect's SQL types and defaults left out, for ==.

    With ordered=False the columns' order does not count: autogenerate adds a new column
    at the end of its table, wherever the model declares it (as Alembic does).
    """
    result = {}
    for name, table in schema.items():
        columns = [(c.name, normalized_sql_type(c.type, dialect), c.nullable, c.primary_key)
                   for c in table.columns]
        result[name] = {
            "columns": columns if ordered else sorted(columns),
            "indexes": sorted((i.name, i.columns, i.unique) for i in table.indexes),
            "uniques": sorted(u.columns for u in table.uniques),
            "foreign_keys": sorted((k.columns, k.target_table, k.target_columns, k.on_delete)
                                   for k in table.foreign_keys),
        }
    return result
