"""benchmarks/bench_jwt.py still runs and reports every case for both libraries.

Only the shape of the report is checked: tests never assert timings.
"""

from __future__ import annotations

from benchmarks import bench_jwt

CASES = {"HS256 encode", "HS256 decode", "RS256 sign", "RS256 verify"}


def test_a_quick_run_reports_each_case_for_miniauth_and_pyjwt() -> None:
    rows = bench_jwt.run(quick=True)
    assert {(row["case"], row["impl"]) for row in rows} == {
        (case, impl) for case in CASES for impl in ("miniauth", "pyjwt")
    }
    for row in rows:
        assert set(row) == {"case", "impl", "ops_per_sec", "runs"}
        assert row["ops_per_sec"] > 0 and row["runs"] == 3


def test_the_cases_compare_equivalent_work() -> None:
    # both decoders are handed tokens they accept: a benchmark of errors would mean nothing
    for case, impl, operation, _ in bench_jwt._cases():
        result = operation()
        if case.endswith(("decode", "verify")):
            assert result["sub"] == "user-42", (case, impl)
        else:
            assert isinstance(result, str) and result.count(".") == 2, (case, impl)
