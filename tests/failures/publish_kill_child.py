"""Publish the marts of INSIGHTS_HOME and die by SIGKILL half-way through the copy.

A real kill, not an exception: no `finally` block runs, so the half-built serving copy and
its WAL stay where a crash leaves them (test_crash_leftovers.py).
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
    order_by = duckdb_file._order_by

    def dying_order_by(con, table):
        calls["n"] += 1
        if calls["n"] == KILL_AT_TABLE:  # two tables copied, nothing checkpointed yet
            os.kill(os.getpid(), signal.SIGKILL)
        return order_by(con, table)

    duckdb_file._order_by = dying_order_by
    duckdb_file.publish_duckdb(home / "warehouse" / "warehouse.duckdb",
                               home / "serving" / "insights.duckdb")


if __name__ == "__main__":
    main()
