"""Target of a spawned process in test_gx_in_run_process.py (it must be importable by name)."""

from pathlib import Path


def load_suite_and_report(report: str) -> None:
    from pipelines.checks.gx_suites import load_suite

    suite = load_suite("landed_assignments")
    Path(report).write_text(f"{len(suite.expectations)} expectations")
