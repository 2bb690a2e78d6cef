"""The suites load in a process started the way a Dagster code server starts each run.

The code server (`python -m dagster api grpc`) spawns every run with multiprocessing, so the
run's `__main__` has neither a file nor a spec. Importing pyspark.sql.connect there (which
Great Expectations does when pyspark is installed) calls sys.exit(0): the run's first suite
check died without a word. The process below is started the same way (spawned from a parent
run with `-c`, whose `__main__` has no file either).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPAWN = """
import multiprocessing, sys
from tests.checks.spawned_gx import load_suite_and_report
child = multiprocessing.get_context("spawn").Process(target=load_suite_and_report,
                                                     args=(sys.argv[1],))
child.start()
child.join()
"""


def test_a_suite_loads_in_a_spawned_run_process(tmp_path):
    report = tmp_path / "report.txt"
    done = subprocess.run([sys.executable, "-c", SPAWN, str(report)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert report.exists(), "the spawned process exited before the suite loaded: " + (
        done.stderr[-2000:])
    assert report.read_text().endswith("expectations")
