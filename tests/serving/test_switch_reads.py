"""A statement reads the serving switch whole while a publish replaces it.

DuckDB evidently reads one Parquet file through more than one open within a statement: a
Parquet switch renamed over at the wrong moment was read torn ("TProtocolException",
"don't know what type": a request of `insights serve` failed in CI). The switch is a CSV row now
(serving/duckdb_file.py). Here a second process replaces the switch as fast as it can while
this one reads the marts through the catalog; the control does the same with a Parquet switch
and shows that the reads do catch a torn file.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from pipelines.serving.duckdb_file import generations_dir, publish_duckdb, read_switch

SECONDS = 8.0
ROOT = Path(__file__).parents[2]

CSV_WRITER = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from pipelines.serving.duckdb_file import _write_switch
    folder, a, b, stop = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    i = 0
    while not stop.exists():
        i += 1
        # alternate the served slot; names of changing length, as a torn read would show
        current, previous = (a, b) if i % 2 else (b, a)
        _write_switch(folder, (current, "g" * (1 + i % 40)), (previous, "h" * (1 + i % 17)),
                      datetime.now(UTC) - timedelta(seconds=1))
""")

PARQUET_WRITER = textwrap.dedent("""
    import os, sys, duckdb
    from pathlib import Path
    path, stop = Path(sys.argv[1]), Path(sys.argv[2])
    con, i = duckdb.connect(), 0
    while not stop.exists():
        i += 1
        building = path.with_name(f".{path.name}.{i}.partial")
        con.execute(f"copy (select {i % 2}::integer as current_slot, "
                    f"repeat('g', {1 + i % 40}) as current_generation, now() as valid_from) "
                    f"to '{building}' (format parquet)")
        os.replace(building, path)
""")


def _tiny_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.mart_numbers as "
                    "select i as n, md5(i::varchar) as label from range(2000) r(i)")
    return path


def _read_while(writer: subprocess.Popen, stop: Path, read) -> tuple[int, list[str]]:
    errors: list[str] = []
    reads = 0
    deadline = time.monotonic() + SECONDS
    try:
        while time.monotonic() < deadline:
            try:
                read()
                reads += 1
            except duckdb.Error as error:
                errors.append(f"{type(error).__name__}: {error}")
    finally:
        stop.touch()
        writer.wait(timeout=30)
    return reads, errors


def test_a_switch_replaced_while_read_is_read_whole(tmp_path):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb")
    serving = tmp_path / "serving" / "insights.duckdb"
    publish_duckdb(warehouse, serving)
    publish_duckdb(warehouse, serving)  # two complete slots to switch between
    switch = read_switch(serving)
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", CSV_WRITER, str(generations_dir(serving)),
         str(switch["current_slot"]), str(switch["previous_slot"]), str(stop)], cwd=ROOT)
    time.sleep(1.0)  # the writer is replacing the switch before the reads start

    def read():
        with duckdb.connect(str(serving), read_only=True) as con:
            assert con.execute("select count(*) from marts.mart_numbers").fetchone() == (2000,)

    reads, errors = _read_while(writer, stop, read)
    assert errors == []
    assert reads > 100


def test_control_a_parquet_switch_replaced_while_read_is_read_torn(tmp_path):
    path = tmp_path / "current.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select 0 as current_slot, 'g' as current_generation, "
                    f"now() as valid_from) to '{path}' (format parquet)")
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", PARQUET_WRITER, str(path), str(stop)])
    time.sleep(1.0)
    con = duckdb.connect()

    def read():
        con.execute(f"select * from read_parquet('{path}')").fetchall()

    _, errors = _read_while(writer, stop, read)
    assert errors, "a Parquet file renamed over while read was never read torn"
