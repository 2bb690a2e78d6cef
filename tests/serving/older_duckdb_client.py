"""A BI tool's DuckDB in its own process and engine (run by the older engine's Python): one
read-only connection opened at start and kept, answering SQL read from stdin, one JSON line in
and out per statement, values as text.

    <older python> older_duckdb_client.py SERVING_PATH
"""

from __future__ import annotations

import json
import sys

import duckdb


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    print(json.dumps({"version": duckdb.__version__}), flush=True)
    for line in sys.stdin:
        sql = json.loads(line)
        try:
            rows = [[None if v is None else str(v) for v in row]
                    for row in con.execute(sql).fetchall()]
            print(json.dumps({"rows": rows}), flush=True)
        except duckdb.Error as error:
            print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
