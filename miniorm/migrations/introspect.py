"""Reading the live schema: what tables, columns, indexes and constraints exist.

A database describes itself in tables of its own, so introspection is just
queries. The two databases keep that description in different places:

PostgreSQL keeps its catalog in `pg_catalog` (pg_class for tables and
indexes, pg_attribute for columns, pg_constraint for keys, pg_index for
indexes; PostgreSQL docs ch. 53 "System Catalogs"). The SQL-standard views of
`information_schema` are built over it and portable, but they hide what a
migration tool needs: the exact type with its length (`format_type()` gives
"character varying(320)"), whether an integer key is an identity column, and
which index belongs to which constraint. So the queries below read pg_catalog,
limited to `current_schema()` (the first schema of the search_path).

SQLite keeps each table's CREATE statement in `sqlite_master` and answers
questions about it through pragmas, usable as table-valued functions
(`pragma_table_info('t')`, `pragma_index_list`, `pragma_index_info`,
`pragma_foreign_key_list`; SQLite "PRAGMA Statements"). SQLite forgets the
names of inline UNIQUE and FOREIGN KEY constraints (it calls their indexes
`sqlite_autoindex_<table>_<n>`), so the names are rebuilt here by miniorm's
convention, `<table>_<columns>_key` and `<table>_<columns>_fkey`.

Both functions return a `Schema` (miniorm.migrations.schema) with types as
type strings, ready to compare with the models'. The version table is left out.

`connection` is anything with `execute(sql, params) -> (rows, rowcount)`: a
miniorm driver connection (miniorm.drivers).
"""

from __future__ import annotations

import re
from typing import Any

from ..dialects import Dialect
from .schema import (
    VERSION_TABLE,
    ColumnSpec,
    ForeignKeySpec,
    IndexSpec,
    Schema,
    TableSpec,
    UniqueSpec,
)

# format_type() text -> type string. A name not listed is kept as SQL, as written.
POSTGRES_TYPES = {
    "bigint": "int", "double precision": "float", "text": "str", "boolean": "bool",
    "bytea": "bytes", "timestamp without time zone": "datetime",
    "timestamp with time zone": "datetime_tz", "date": "date", "numeric": "decimal",
    "uuid": "uuid", "jsonb": "json",
}
# Declared type (upper case) -> type string. TEXT stands for str, Decimal, UUID and
# JSON alike on SQLite; comparing SQL types (not type strings) makes them equal there.
SQLITE_TYPES = {
    "INTEGER": "int", "REAL": "float", "TEXT": "str", "BOOLEAN": "bool", "BLOB": "bytes",
    "DATETIME": "datetime", "DATE": "date",
}
VARCHAR = re.compile(r"^(?:character varying|varchar)\s*\((\d+)\)$", re.IGNORECASE)

POSTGRES_COLUMNS = """
SELECT attribute.attname, format_type(attribute.atttypid, attribute.atttypmod),
       NOT attribute.attnotnull, pg_get_expr(default_.adbin, default_.adrelid),
       attribute.attidentity <> ''
FROM pg_attribute AS attribute
JOIN pg_class AS table_class ON table_class.oid = attribute.attrelid
JOIN pg_namespace AS namespace ON namespace.oid = table_class.relnamespace
LEFT JOIN pg_attrdef AS default_
       ON default_.adrelid = attribute.attrelid AND default_.adnum = attribute.attnum
WHERE namespace.nspname = current_schema() AND table_class.relname = $1
  AND attribute.attnum > 0 AND NOT attribute.attisdropped
ORDER BY attribute.attnum"""

# One row per (constraint, column): p(rimary key), u(nique), f(oreign key).
POSTGRES_CONSTRAINTS = """
SELECT constraint_.conname, constraint_.contype, source_column.attname,
       target_table.relname, target_column.attname,
       CASE constraint_.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
            WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE NULL END
FROM pg_constraint AS constraint_
JOIN pg_class AS table_class ON table_class.oid = constraint_.conrelid
JOIN pg_namespace AS namespace ON namespace.oid = table_class.relnamespace
CROSS JOIN LATERAL unnest(constraint_.conkey, constraint_.confkey)
     WITH ORDINALITY AS key (source_number, target_number, position)
JOIN pg_attribute AS source_column
     ON source_column.attrelid = constraint_.conrelid AND source_column.attnum = key.source_number
LEFT JOIN pg_class AS target_table ON target_table.oid = constraint_.confrelid
LEFT JOIN pg_attribute AS target_column
     ON target_column.attrelid = constraint_.confrelid AND target_column.attnum = key.target_number
WHERE namespace.nspname = current_schema() AND table_class.relname = $1
  AND constraint_.contype IN ('p', 'u', 'f')
ORDER BY constraint_.conname, key.position"""

# Indexes a person created (CREATE INDEX), not those behind a key or UNIQUE constraint.
POSTGRES_INDEXES = """
SELECT index_class.relname, index_.indisunique, attribute.attname
FROM pg_index AS index_
JOIN pg_class AS table_class ON table_class.oid = index_.indrelid
JOIN pg_class AS index_class ON index_class.oid = index_.indexrelid
JOIN pg_namespace AS namespace ON namespace.oid = table_class.relnamespace
CROSS JOIN LATERAL unnest(index_.indkey::int2[]) WITH ORDINALITY AS key (number, position)
JOIN pg_attribute AS attribute
     ON attribute.attrelid = table_class.oid AND attribute.attnum = key.number
WHERE namespace.nspname = current_schema() AND table_class.relname = $1
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS owner
                  WHERE owner.conindid = index_.indexrelid AND owner.contype IN ('p', 'u', 'x'))
ORDER BY index_class.relname, key.position"""


def inspect_schema(connection: Any, dialect: Dialect) -> Schema:
    """Every table of the database (PostgreSQL: of the current schema), but the version table."""
    rows, _ = connection.execute(dialect.table_names_sql, [])
    names = [row[0] for row in rows or [] if row[0] != VERSION_TABLE]
    inspect_table = inspect_postgres_table if dialect.name == "postgresql" else inspect_sqlite_table
    return {name: inspect_table(connection, name) for name in names}


def postgres_type_string(formatted: str) -> str:
    match = VARCHAR.match(formatted)
    if match:
        return f"str({match.group(1)})"
    return POSTGRES_TYPES.get(formatted, formatted.upper())


def sqlite_type_string(declared: str) -> str:
    match = VARCHAR.match(declared.strip())
    if match:
        return f"str({match.group(1)})"
    return SQLITE_TYPES.get(declared.strip().upper(), declared.strip().upper())


def inspect_postgres_table(connection: Any, name: str) -> TableSpec:
    constraint_rows, _ = connection.execute(POSTGRES_CONSTRAINTS, [name])
    grouped: dict[str, list[tuple]] = {}
    for row in constraint_rows or []:
        grouped.setdefault(row[0], []).append(row)
    primary_key: set[str] = set()
    uniques, foreign_keys = [], []
    for constraint_name, rows in grouped.items():
        kind, columns = rows[0][1], tuple(row[2] for row in rows)
        if kind == "p":
            primary_key.update(columns)
        elif kind == "u":
            uniques.append(UniqueSpec(constraint_name, columns))
        else:
            foreign_keys.append(ForeignKeySpec(constraint_name, columns, rows[0][3],
                                               tuple(row[4] for row in rows), rows[0][5]))
    column_rows, _ = connection.execute(POSTGRES_COLUMNS, [name])
    columns = [
        ColumnSpec(name=column, type=postgres_type_string(formatted),
                   nullable=bool(nullable) and column not in primary_key,
                   primary_key=column in primary_key, autoincrement=bool(identity),
                   server_default=None if identity else default)
        for column, formatted, nullable, default, identity in column_rows or []
    ]
    index_rows, _ = connection.execute(POSTGRES_INDEXES, [name])
    return TableSpec(name, columns, group_indexes(index_rows or []), uniques, foreign_keys)


def group_indexes(rows: list[tuple]) -> list[IndexSpec]:
    """(index name, unique, column) rows in column order -> IndexSpecs."""
    by_name: dict[str, list[tuple]] = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    return [IndexSpec(index_name, tuple(row[2] for row in group), bool(group[0][1]))
            for index_name, group in by_name.items()]


def inspect_sqlite_table(connection: Any, name: str) -> TableSpec:
    column_rows, _ = connection.execute(
        'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid',
        [name])
    key_columns = [row for row in column_rows or [] if row[4]]
    columns = []
    for column, declared, not_null, default, key_position in column_rows or []:
        # INTEGER PRIMARY KEY (exactly) makes the column the rowid, generated on insert.
        rowid = bool(key_position) and len(key_columns) == 1 and declared.upper() == "INTEGER"
        columns.append(ColumnSpec(
            name=column, type=sqlite_type_string(declared),
            nullable=not (not_null or key_position), primary_key=bool(key_position),
            autoincrement=rowid, server_default=default,
        ))
    index_rows, _ = connection.execute(
        'SELECT list.name, list."unique", list.origin, info.name '
        "FROM pragma_index_list(?) AS list JOIN pragma_index_info(list.name) AS info "
        "WHERE list.origin <> 'pk' ORDER BY list.name, info.seqno", [name])
    indexes, uniques = [], []
    by_name: dict[str, list[tuple]] = {}
    for row in index_rows or []:
        by_name.setdefault(row[0], []).append(row)
    for index_name, group in by_name.items():
        index_columns = tuple(row[3] for row in group)
        if group[0][2] == "u":  # an inline UNIQUE constraint: its name is lost
            uniques.append(UniqueSpec(f"{name}_{'_'.join(index_columns)}_key", index_columns))
        else:
            indexes.append(IndexSpec(index_name, index_columns, bool(group[0][1])))
    return TableSpec(name, columns, indexes, uniques, inspect_sqlite_foreign_keys(connection, name))


def inspect_sqlite_foreign_keys(connection: Any, name: str) -> list[ForeignKeySpec]:
    rows, _ = connection.execute(
        'SELECT id, "from", "table", "to", on_delete FROM pragma_foreign_key_list(?) '
        "ORDER BY id, seq", [name])
    by_id: dict[int, list[tuple]] = {}
    for row in rows or []:
        by_id.setdefault(row[0], []).append(row)
    foreign_keys = []
    for group in by_id.values():
        columns = tuple(row[1] for row in group)
        foreign_keys.append(ForeignKeySpec(
            f"{name}_{'_'.join(columns)}_fkey", columns, group[0][2],
            tuple(row[3] for row in group), group[0][4],
        ))
    return foreign_keys
