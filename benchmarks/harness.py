"""From result rows to the numbers a student reads: ratios, spreads, a table, a chart.

Every suite returns rows {"case", "impl", "ops_per_sec", "runs", ...}. A row is
read against its case's baseline (a row of the same case): the headline is the
ratio of medians, and the spread is the ratio of each run's extremes to the
baseline's median. Numbers from one run on one machine are only comparable with
each other, which is why every peer is measured in the same run.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# suite -> the implementation its rows are read against, unless a row names its own
SUITE_BASELINES = {
    "loop": "asyncio",
    "parser": "h11",
    "jwt": "pyjwt",
    "orm": "psycopg",
    "frameworks": "fastapi",
}

PEER_PACKAGES = ("uvloop", "uvicorn", "httptools", "h11", "fastapi", "starlette", "pydantic",
                 "pyjwt", "cryptography", "sqlalchemy", "psycopg", "httpx")


def summarize(suite: str, rows: list[dict]) -> list[dict]:
    """Add median, min, max, ratio and ratio spread to each row of one suite."""
    for row in rows:
        row["suite"] = suite
        runs = row.get("runs")
        runs = runs if isinstance(runs, list) and runs else [row["ops_per_sec"]]
        row["runs"] = runs
        row["median"] = row["ops_per_sec"]
        row["min"], row["max"] = min(runs), max(runs)
        row.setdefault("baseline", SUITE_BASELINES.get(suite))
    for row in rows:
        baseline = find_baseline(rows, row)
        if baseline is None:
            row["ratio"] = row["ratio_min"] = row["ratio_max"] = None
            continue
        reference = baseline["median"]
        row["ratio"] = row["median"] / reference
        row["ratio_min"], row["ratio_max"] = row["min"] / reference, row["max"] / reference
    return rows


def find_baseline(rows: list[dict], row: dict) -> dict | None:
    for other in rows:
        if other["case"] == row["case"] and other["impl"] == row["baseline"]:
            return other
    return None


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| suite | case | implementation | median | min–max | vs baseline | p50 / p99 ms "
        "| server CPU µs/request |",
        "|---|---|---|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        unit = row.get("unit", "ops/s")
        ratio = "—" if row["ratio"] is None else (
            f"**{row['ratio']:.2f}x** {row['baseline']}"
            f" ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})"
        )
        latency = ""
        if "latency_p50_ms" in row and not math.isnan(row["latency_p50_ms"]):
            latency = f"{row['latency_p50_ms']:.2f} / {row['latency_p99_ms']:.2f}"
        cpu = row.get("cpu_us_per_request")
        cpu = "" if cpu is None else f"{cpu:.1f}"
        lines.append(
            f"| {row['suite']} | {row['case']} | {row['impl']} | {number(row['median'])} {unit} "
            f"| {number(row['min'])}–{number(row['max'])} | {ratio} | {latency} | {cpu} |"
        )
    return "\n".join(lines)


def number(value: float) -> str:
    """Large rates without decimals, small quantities (KB, slow ops) with one."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def machine_info() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in PEER_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "wrk": wrk_version(),
        "packages": versions,
    }


def wrk_version() -> str:
    try:
        output = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        return (output.stdout or output.stderr).split("\n")[0].strip() or "unknown"
    except OSError:
        return "not installed (the built-in load generator was used)"


def save(rows: list[dict], machine: dict, directory: Path = RESULTS_DIR) -> list[Path]:
    """Write results/latest.json, a timestamped copy, and results/latest.png if matplotlib is here."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"when": stamp, "machine": machine, "rows": rows}
    written = []
    for name in ("latest.json", f"run-{stamp}.json"):
        path = directory / name
        path.write_text(json.dumps(document, indent=2, default=str))
        written.append(path)
    chart = draw_chart(rows, directory / "latest.png")
    if chart:
        written.append(chart)
    return written


def draw_chart(rows: list[dict], path: Path) -> Path | None:
    """A horizontal bar per row: its ratio to the baseline, error bars from min to max."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:
        return None
    shown = [row for row in rows if row["ratio"] is not None]
    if not shown:
        return None
    labels = [f"{row['suite']} · {row['case']} · {row['impl']}" for row in shown]
    ratios = [row["ratio"] for row in shown]
    errors = [[row["ratio"] - row["ratio_min"] for row in shown],
              [row["ratio_max"] - row["ratio"] for row in shown]]
    figure, axes = pyplot.subplots(figsize=(10, 0.28 * len(shown) + 1.5))
    colors = ["tab:orange" if row["impl"] == row["baseline"] else "tab:blue" for row in shown]
    axes.barh(range(len(shown)), ratios, xerr=errors, color=colors, capsize=2)
    axes.set_yticks(range(len(shown)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xlabel("ratio to the case's baseline (orange), median with min–max")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path
