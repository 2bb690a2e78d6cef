"""Publish the marts of INSIGHTS_HOME and die by SIGKILL half-way through the copy.

A real kill, not an exception: no `finally` block runs, so the half-written slot and the
unrenamed copy stay where a crash leaves them (test_crash_leftovers.py).
"""

import os
import signal
import sys
from pathlib import Path

from pipelines.serving import duckdb_file

KILL_AT_TABLE = 3


def main() -> None:
    home = Path(sys.argv[1])
    calls = {"n": 0}
    fsync_path = duckdb_file.fsync_path

    def dying_fsync_path(path):
        calls["n"] += 1
        if calls["n"] == KILL_AT_TABLE:  # two marts in the slot, the third's copy written
            os.kill(os.getpid(), signal.SIGKILL)
        return fsync_path(path)

    duckdb_file.fsync_path = dying_fsync_path
    duckdb_file.publish_duckdb(home / "warehouse" / "warehouse.duckdb",
                               home / "serving" / "insights.duckdb")


if __name__ == "__main__":
    main()
