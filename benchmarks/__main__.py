"""python -m benchmarks: measure each layer side by side with its peers, in one run.

    python -m benchmarks                      # every suite
    python -m benchmarks servers parser       # some suites
    python -m benchmarks all --quick          # a tiny run: checks the harness, not speed

Suites: servers, frameworks, database, memory, parser, loop, jwt, orm, scaling (and "all").
Each prints rows as they finish and a markdown summary table at the end; the
rows, the machine's description and a chart go to benchmarks/results/.
Read benchmarks/RESULTS.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks import harness

# suite -> (module, does its run() take the load options?)
SUITES = {
    "servers": ("benchmarks.bench_servers", True),
    "frameworks": ("benchmarks.bench_frameworks", True),
    "parser": ("benchmarks.bench_parser", False),
    "loop": ("benchmarks.bench_loop", False),
    "jwt": ("benchmarks.bench_jwt", False),
    "orm": ("benchmarks.bench_orm", False),
    "scaling": ("benchmarks.bench_scaling", True),
    "database": ("benchmarks.bench_database", True),
    "memory": ("benchmarks.bench_memory", True),
}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure ministack against uvloop, Uvicorn, FastAPI, h11, httptools, "
        "PyJWT and SQLAlchemy, side by side, as ratios.",
    )
    parser.add_argument("suites", nargs="*", default=["all"], metavar="SUITE",
                        help=f"one or more of: {', '.join(SUITES)}, all (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny runs that check the harness works (numbers mean little)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds per server run (default 5, quick 0.3)")
    parser.add_argument("--connections", type=int, default=None,
                        help="keep-alive connections for server runs (default 64, quick 8)")
    parser.add_argument("--no-save", action="store_true",
                        help="print only; write nothing under benchmarks/results/")
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.suites if name != "all" and name not in SUITES]
    if unknown:
        parser.error(f"unknown suite {', '.join(unknown)}: choose from {', '.join(SUITES)}, all")
    if "all" in arguments.suites:
        arguments.suites = list(SUITES)
    return arguments


class Progress:
    """A live line per step with rich when it is installed, plain lines otherwise."""

    def __init__(self) -> None:
        try:
            from rich.console import Console

            self.console = Console(stderr=True)
        except ImportError:
            self.console = None
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        if self.console:
            self.console.print(f"[dim]{elapsed:6.1f}s[/dim] {message}")
        else:
            print(f"{elapsed:6.1f}s {message}", file=sys.stderr, flush=True)


def run_suite(name: str, arguments: argparse.Namespace, progress: Progress) -> list[dict]:
    module_name, takes_load_options = SUITES[name]
    module = importlib.import_module(module_name)
    progress(f"[{name}] starting")
    if takes_load_options:
        rows = module.run(quick=arguments.quick, duration=arguments.duration,
                          connections=arguments.connections, progress=progress)
    else:
        rows = module.run(quick=arguments.quick)
    rows = harness.summarize(name, rows)
    for row in rows:
        ratio = "" if row["ratio"] is None else f"  {row['ratio']:.2f}x {row['baseline']}"
        progress(f"[{name}] {row['case']}: {row['impl']} {row['median']:,.0f}{ratio}")
    return rows


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    progress = Progress()
    machine = harness.machine_info()
    progress(f"machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}; "
             f"load generator: {machine['wrk']}")
    rows: list[dict] = []
    for name in arguments.suites:
        rows += run_suite(name, arguments, progress)
    print(harness.markdown_table(rows))
    if not arguments.no_save:
        for path in harness.save(rows, machine):
            progress(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
