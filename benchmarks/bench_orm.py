"""miniorm against raw psycopg 3 and SQLAlchemy 2's ORM, on PostgreSQL, in one run.

Three cases, each measured for all three implementations side by side:

- "get by pk": fetch one row by primary key into an object (raw psycopg: a
  tuple). All gets run in one open transaction; the ORMs' identity maps are
  emptied after each get (`expunge_all()`), so every get reaches the database.
- "fetch 1000 rows": one SELECT of 1,000 rows into 1,000 objects (raw: tuples),
  identity map emptied before each fetch.
- "insert 1000 rows": 1,000 new rows in one transaction, committed. The ORMs
  fetch generated keys back (RETURNING); raw psycopg uses executemany without.

One op is one get, one fetch of 1,000 rows, or one insert of 1,000 rows. The
three implementations take turns, repeat after repeat, and each keeps its
best repeat (ops/s): load from other processes on a shared machine then hits
all three alike instead of whichever ran during a spike. Each row also
carries `cpu_us_per_op`, this process's CPU time per op: the client-side cost
an ORM adds, which server and network time do not blur. Run it:

    python -m benchmarks.bench_orm          # MINIORM_BENCH_DSN or the test DSN
    python -m benchmarks.bench_orm --quick

The tables live in a private schema that is dropped at the end.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

import psycopg
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLAlchemy reads the `Mapped[...]` annotations by name from this module's globals.
__all__ = ["run", "DeclarativeBase", "Mapped", "mapped_column"]

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
ROW_COUNT = 1000
CASES = ("get by pk", "fetch 1000 rows", "insert 1000 rows")


def timed_loop(operation: Callable[[], None], ops: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for `ops` calls of `operation`."""
    cpu_started, started = time.process_time(), time.perf_counter()
    for _ in range(ops):
        operation()
    return time.perf_counter() - started, time.process_time() - cpu_started


def sample_rows(count: int) -> list[tuple]:
    moment = datetime.datetime(2024, 1, 1, 12, 0, 0)
    return [(f"item {index}", index, index * 1.5, moment) for index in range(count)]


# -- raw psycopg -----------------------------------------------------------------

def raw_cases(url: str) -> dict[str, Callable[[], None]]:
    connection = psycopg.connect(url)
    counter = iter(range(10**9))

    def get_by_pk() -> None:
        key = next(counter) % ROW_COUNT + 1
        connection.execute("SELECT id, name, score, price, created_at FROM bench_item "
                           "WHERE id = %s", (key,)).fetchone()

    def fetch_rows() -> None:
        connection.execute("SELECT id, name, score, price, created_at FROM bench_item "
                           "WHERE id <= %s", (ROW_COUNT,)).fetchall()

    def insert_rows() -> None:
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_insert (name, score, price, created_at) "
                               "VALUES (%s, %s, %s, %s)", sample_rows(ROW_COUNT))
        connection.commit()

    return {"get by pk": get_by_pk, "fetch 1000 rows": fetch_rows,
            "insert 1000 rows": insert_rows, "close": connection.close}


# -- miniorm -------------------------------------------------------------------------

def miniorm_cases(url: str) -> dict[str, Callable[[], None]]:
    from miniorm import Database, Field, Model, select

    class BenchItem(Model):
        id: int | None = Field(default=None, primary_key=True)
        name: str
        score: int
        price: float
        created_at: datetime.datetime

    class BenchInsert(Model):
        id: int | None = Field(default=None, primary_key=True)
        name: str
        score: int
        price: float
        created_at: datetime.datetime

    database = Database(url)
    session = database.session()
    counter = iter(range(10**9))
    fetch_query = select(BenchItem).where(BenchItem.id <= ROW_COUNT)

    def get_by_pk() -> None:
        session.get(BenchItem, next(counter) % ROW_COUNT + 1)
        session.expunge_all()

    def fetch_rows() -> None:
        session.expunge_all()
        session.exec(fetch_query).all()

    def insert_rows() -> None:
        session.add_all([BenchInsert(name=name, score=score, price=price, created_at=created)
                         for name, score, price, created in sample_rows(ROW_COUNT)])
        session.commit()

    def close() -> None:
        session.close()
        database.dispose()

    return {"get by pk": get_by_pk, "fetch 1000 rows": fetch_rows,
            "insert 1000 rows": insert_rows, "close": close}


# -- SQLAlchemy 2 ORM ----------------------------------------------------------------

def sqlalchemy_cases(url: str) -> dict[str, Callable[[], None]]:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    class Base(DeclarativeBase):
        pass

    class BenchItem(Base):
        __tablename__ = "bench_item"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        score: Mapped[int]
        price: Mapped[float]
        created_at: Mapped[datetime.datetime]

    class BenchInsert(Base):
        __tablename__ = "bench_insert"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        score: Mapped[int]
        price: Mapped[float]
        created_at: Mapped[datetime.datetime]

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    session = Session(engine)
    counter = iter(range(10**9))
    fetch_query = select(BenchItem).where(BenchItem.id <= ROW_COUNT)

    def get_by_pk() -> None:
        session.get(BenchItem, next(counter) % ROW_COUNT + 1)
        session.expunge_all()

    def fetch_rows() -> None:
        session.expunge_all()
        session.scalars(fetch_query).all()

    def insert_rows() -> None:
        session.add_all([BenchInsert(name=name, score=score, price=price, created_at=created)
                         for name, score, price, created in sample_rows(ROW_COUNT)])
        session.commit()

    def close() -> None:
        session.close()
        engine.dispose()

    return {"get by pk": get_by_pk, "fetch 1000 rows": fetch_rows,
            "insert 1000 rows": insert_rows, "close": close}


# -- the run ---------------------------------------------------------------------------

def create_schema(dsn: str) -> tuple[str, str]:
    schema = f"bench_orm_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'SET search_path TO "{schema}"')
        for table in ("bench_item", "bench_insert"):
            connection.execute(
                f"CREATE TABLE {table} (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                "name TEXT NOT NULL, score BIGINT NOT NULL, price DOUBLE PRECISION NOT NULL, "
                "created_at TIMESTAMP NOT NULL)")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_item (name, score, price, created_at) "
                               "VALUES (%s, %s, %s, %s)", sample_rows(ROW_COUNT))
    separator = "&" if "?" in dsn else "?"
    return schema, f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"


def run(quick: bool = False) -> list[dict]:
    """Measure every case for every implementation; return one row per (case, impl)."""
    dsn = os.environ.get("MINIORM_BENCH_DSN", os.environ.get("MINIORM_TEST_DSN", DEFAULT_DSN))
    schema, url = create_schema(dsn)
    ops = {"get by pk": 200 if quick else 1000, "fetch 1000 rows": 5 if quick else 20,
           "insert 1000 rows": 2 if quick else 4}
    repeats = 3 if quick else 7
    rows = []
    implementations: dict[str, dict[str, Callable[[], None]]] = {}
    try:
        implementations = {"psycopg": raw_cases(url), "miniorm": miniorm_cases(url),
                           "sqlalchemy": sqlalchemy_cases(url)}
        for case in CASES:
            best = {impl: (float("inf"), float("inf")) for impl in implementations}
            for cases in implementations.values():
                cases[case]()  # warm-up: connections, prepared statements, caches
            for _ in range(repeats):
                for impl, cases in implementations.items():
                    wall, cpu = timed_loop(cases[case], ops[case])
                    best[impl] = (min(best[impl][0], wall), min(best[impl][1], cpu))
            for impl, (wall, cpu) in best.items():
                rows.append({"case": case, "impl": impl, "ops_per_sec": ops[case] / wall,
                             "cpu_us_per_op": cpu / ops[case] * 1e6,
                             "runs": ops[case] * repeats})
    finally:
        for cases in implementations.values():
            cases["close"]()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return rows


def main(argv: list[str]) -> None:
    rows = run(quick="--quick" in argv)
    rates = {(row["case"], row["impl"]): row["ops_per_sec"] for row in rows}
    cpu = {(row["case"], row["impl"]): row["cpu_us_per_op"] for row in rows}
    print(f"{'case':<18}{'psycopg':>10}{'miniorm':>10}{'sqlalchemy':>12}"
          f"{'psycopg/mini':>14}{'mini/sqla':>11}   client CPU us/op (psycopg/mini/sqla)")
    for case in CASES:
        raw, mini, sqla = (rates[(case, impl)] for impl in ("psycopg", "miniorm", "sqlalchemy"))
        cpus = "/".join(f"{cpu[(case, impl)]:.0f}" for impl in ("psycopg", "miniorm", "sqlalchemy"))
        print(f"{case:<18}{raw:>10.1f}{mini:>10.1f}{sqla:>12.1f}{raw / mini:>13.2f}x"
              f"{mini / sqla:>10.2f}x   {cpus}")
    print("ops/s, best repeat; goal: psycopg/mini <= 1.30x, mini/sqla >= 2.00x")


if __name__ == "__main__":
    main(sys.argv[1:])
