"""A BI-like reader in its own process: reads the serving DuckDB file in a loop until told to
stop, checking each read is one complete, consistent set of marts. One JSON line per read.

    python duckdb_reader.py SERVING_PATH OUT_JSONL STOP_FILE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

MARTS = {
    "bridge_team_member_clients", "dim_clients", "dim_team_members", "fct_client_backlog_daily",
    "fct_client_category_daily", "fct_documents", "mart_client_access_audit",
    "mart_client_overview", "mart_team_member_workload", "mart_vat_period_progress",
}


def read_once(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
        as_of = con.execute(
            "select count(distinct data_as_of), max(data_as_of)::varchar "
            "from marts.mart_client_overview").fetchone()
        documents, overview_total, daily_total, bridge, assigned = con.execute("""
            select (select count(*) from marts.fct_documents),
                   (select sum(documents_total) from marts.mart_client_overview),
                   (select sum(documents_total) from marts.fct_client_category_daily),
                   (select count(*) from marts.bridge_team_member_clients),
                   (select sum(assigned_team_members) from marts.mart_client_overview)
        """).fetchone()
    problems = []
    if tables != MARTS:
        problems.append(f"tables {sorted(tables ^ MARTS)} missing or extra")
    if as_of[0] != 1:
        problems.append(f"{as_of[0]} distinct data_as_of values")
    if not documents == overview_total == daily_total:
        problems.append(f"documents {documents} / overview {overview_total} / daily {daily_total}")
    if bridge != assigned:
        problems.append(f"bridge {bridge} != assigned_team_members {assigned}")
    return {"as_of": as_of[1], "documents": documents, "problems": problems}


def main(path: Path, out: Path, stop: Path) -> None:
    with open(out, "a") as sink:
        while not stop.exists():
            if not path.exists():
                time.sleep(0.05)
                continue
            try:
                record = read_once(path)
            except Exception as error:  # every failure is reported, none is retried away
                record = {"error": f"{type(error).__name__}: {error}"}
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            time.sleep(0.02)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
