"""Publish the marts to the serving DuckDB file by building a new file and swapping it in.

Readers (BI tools, `insights serve`) open $INSIGHTS_HOME/serving/insights.duckdb. The new
marts are copied into a fresh file next to it, fsynced, and renamed over the old one in one
atomic step: a reader sees the old complete set or the new complete set, never half of one,
and a reader holding the old file open never blocks the swap (it keeps the old inode).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def mart_tables(warehouse_path: Path) -> list[str]:
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [MARTS_SCHEMA],
        ).fetchall()
    return [name for (name,) in rows]


# Dashboards filter on one client and a date range: rows stored in this order give each row
# group a narrow client_id (and date) range, so DuckDB's min/max zone maps skip the rest of the
# table instead of scanning it (at 1M documents: worst dashboard p95 50 ms -> see
# benchmarks/results/scale.md).
SORT_COLUMNS = ("client_id", "activity_date", "calendar_date", "vat_period_start")


def _order_by(con: duckdb.DuckDBPyConnection, table: str) -> str:
    columns = {name for (name,) in con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = 'warehouse' and table_schema = ? and table_name = ?",
        [MARTS_SCHEMA, table],
    ).fetchall()}
    if "client_id" not in columns:
        return ""
    keys = [f'"{name}"' for name in SORT_COLUMNS if name in columns]
    return " order by " + ", ".join(keys)


def publish_duckdb(
    warehouse_path: Path, serving_path: Path, memory_limit: str = "3GB"
) -> dict[str, int]:
    """Copy every table of schema `marts`; return the row count of each."""
    tables = mart_tables(warehouse_path)
    if not tables:
        raise RuntimeError(f"the warehouse {warehouse_path} has no tables in schema marts")
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    # the pid in the name tells the next run's clean-up whether the writer is still alive
    building = serving_path.with_name(
        f".{serving_path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(building)) as con:
            # The same bound as the dbt build: the ordered copy of a 10M-document mart sorts
            # out of core instead of taking 80% of the machine (10M: peak RSS 6.6 GiB
            # without it).
            con.execute(f"set memory_limit = {_sql_string(memory_limit)}")
            con.execute(f"attach {_sql_string(str(warehouse_path))} as warehouse (read_only)")
            con.execute(f"create schema {MARTS_SCHEMA}")
            for table in tables:
                con.execute(
                    f'create table {MARTS_SCHEMA}."{table}" as '
                    f'select * from warehouse.{MARTS_SCHEMA}."{table}"'
                    f"{_order_by(con, table)}"
                )
                counts[table] = con.execute(
                    f'select count(*) from {MARTS_SCHEMA}."{table}"'
                ).fetchone()[0]
            con.execute("detach warehouse")
            con.execute("checkpoint")
        with open(building, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(building, serving_path)
        directory = os.open(serving_path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts
