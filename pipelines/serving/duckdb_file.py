"""Publish the marts to the serving DuckDB file, so that every reader sees each publish whole.

BI tools keep DuckDB connections open for hours, and DuckDB never re-reads a database file it
has open (within one process a new connection to the same path even reuses the open instance).
So the serving file `$INSIGHTS_HOME/serving/insights.duckdb` holds no data: it is a catalog of
views, one per mart, written in a storage format that older engines read
(INSIGHTS_SERVING_DUCKDB_STORAGE: Metabase's DuckDB driver bundles the 1.5 series). The data
are Parquet files, one folder per publish (a generation):

    serving/generations/generation=<id>/<mart>__<schema hash>.parquet   (newest id first)
    serving/generations/current.parquet      the switch: which generation is served from when

Each view reads the generation the switch names, and the switch is decided by the query's
transaction start (`now()`, the same for every view of a statement), so one statement never
mixes two publishes. A publish:
1. writes the new generation into a hidden folder and renames it into place;
2. rewrites the catalog as a new file renamed over the old one (new readers get the views of
   the current marts; a connection left open keeps the old catalog, whose views read the same
   switch, so until step 3 both read the previous generation);
3. replaces the switch (write, fsync, rename) with "new generation from `valid_from`, the
   previous one before", `valid_from` a moment after the rename. A statement that starts
   before `valid_from` reads the previous generation whichever switch file it reads; one that
   starts after it can only have read the new switch. Then it waits until `valid_from`;
4. removes generations older than the last few (a statement in flight keeps its open files).
A failure before step 3 publishes nothing. The views name the generations folder by its
absolute path: a copied or moved INSIGHTS_HOME serves the old location's files until its next
publish.
The schema hash in each file name keeps a catalog on the generations of its own columns: after
a release changes a mart's columns, an old connection goes on reading the old files until they
leave the ring, then must reconnect.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.durable import fsync_path

MARTS_SCHEMA = "marts"
GENERATIONS = "generations"
SWITCH_FILE = "current.parquet"
GENERATION_PREFIX = "generation="
# generations kept: the one served, the one before it (statements that started before the
# switch), and one more for a statement still running across two publishes
KEPT_GENERATIONS = 3
# how far after writing the switch it takes effect: the rename must land before this instant
SWITCH_DELAY = timedelta(seconds=1)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def generations_dir(serving_path: Path) -> Path:
    return serving_path.parent / GENERATIONS


def mart_tables(warehouse_path: Path) -> list[str]:
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [MARTS_SCHEMA],
        ).fetchall()
    return [name for (name,) in rows]


# Dashboards filter on one client and a date range: rows stored in this order give each row
# group a narrow client_id (and date) range, so DuckDB's min/max statistics skip the rest of
# the file instead of scanning it (benchmarks/results/scale.md).
SORT_COLUMNS = ("client_id", "activity_date", "calendar_date", "vat_period_start")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'warehouse' and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [MARTS_SCHEMA, table],
    ).fetchall()


def _order_by_columns(columns: set[str]) -> str:
    """The serving sort order of a mart with these columns ("" for marts without clients)."""
    if "client_id" not in columns:
        return ""
    return " order by " + ", ".join(f'"{name}"' for name in SORT_COLUMNS if name in columns)


def _order_by(con: duckdb.DuckDBPyConnection, table: str) -> str:
    return _order_by_columns({name for name, _ in _columns(con, table)})


def _file_name(table: str, columns: list[tuple[str, str]]) -> str:
    schema = hashlib.sha256(repr(columns).encode()).hexdigest()[:10]
    return f"{table}__{schema}.parquet"


def _new_generation_id(folder: Path) -> str:
    # Newest first in name order: DuckDB reads the schema of a glob's first file when it binds
    # a view, so that file must be the last to be retired (the oldest is removed next, maybe
    # between a statement's glob and its open; pruned files are never opened).
    now = datetime.now(UTC)
    micros = int(now.timestamp() * 1_000_000)
    generation = f"{10**16 - micros:016d}-{now:%Y%m%dT%H%M%S%fZ}"
    while (folder / f"{GENERATION_PREFIX}{generation}").exists():  # same microsecond
        generation += "x"
    return generation


def switch_path(serving_path: Path) -> Path:
    return generations_dir(serving_path) / SWITCH_FILE


def read_switch(serving_path: Path) -> dict | None:
    """The switch as last written: current and previous generation, valid_from, the ring."""
    path = switch_path(serving_path)
    if not path.exists():
        return None
    with duckdb.connect() as con:
        row = con.execute(
            "select current_generation, previous_generation, valid_from, ring "
            f"from read_parquet({_sql_string(str(path))})").fetchone()
    return {"current": row[0], "previous": row[1], "valid_from": row[2], "ring": list(row[3])}


def _write_generation(con: duckdb.DuckDBPyConnection, tables: list[str], folder: Path,
                      generation: str) -> tuple[dict[str, int], dict[str, str]]:
    # the pid in the name tells the next run's clean-up whether the writer is still alive
    building = folder / (f".{GENERATION_PREFIX}{generation}."
                         f"{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    building.mkdir(parents=True)
    counts: dict[str, int] = {}
    files: dict[str, str] = {}
    for table in tables:
        files[table] = _file_name(table, _columns(con, table))
        target = building / files[table]
        con.execute(
            f'copy (select * from warehouse.{MARTS_SCHEMA}."{table}"{_order_by(con, table)}) '
            f"to {_sql_string(str(target))} (format parquet, compression zstd)")
        counts[table] = con.execute(
            f"select count(*) from read_parquet({_sql_string(str(target))})").fetchone()[0]
        fsync_path(target)
    final = folder / f"{GENERATION_PREFIX}{generation}"
    os.replace(building, final)
    fsync_path(folder)
    return counts, files


def _write_switch(con: duckdb.DuckDBPyConnection, folder: Path, generation: str,
                  previous: dict | None) -> datetime:
    ring = [generation, *(previous["ring"] if previous else [])][:KEPT_GENERATIONS]
    valid_from = datetime.now(UTC) + SWITCH_DELAY
    building = folder / f".{SWITCH_FILE}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial"
    con.execute(
        "copy (select ?::varchar as current_generation, ?::varchar as previous_generation, "
        "?::timestamptz as valid_from, ?::varchar[] as ring) "
        f"to {_sql_string(str(building))} (format parquet)",
        [generation, previous["current"] if previous else generation, valid_from, ring])
    fsync_path(building)
    os.replace(building, folder / SWITCH_FILE)
    fsync_path(folder)
    return valid_from


def _view_sql(folder: Path, table: str, file_name: str) -> str:
    files = _sql_string(str(folder / f"{GENERATION_PREFIX}*" / file_name))
    switch = _sql_string(str(folder / SWITCH_FILE))
    return (
        f'create view {MARTS_SCHEMA}."{table}" as select * exclude (generation) '
        f"from read_parquet({files}, hive_partitioning = true, "
        "hive_types = {'generation': VARCHAR}) "
        "where generation = (select case when now() >= valid_from then current_generation "
        f"else previous_generation end from read_parquet({switch}))"
    )


def _write_catalog(serving_path: Path, folder: Path, files: dict[str, str],
                   storage_version: str) -> None:
    building = serving_path.with_name(
        f".{serving_path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    try:
        with duckdb.connect() as con:
            try:
                con.execute(f"attach {_sql_string(str(building))} as serving_catalog "
                            f"(storage_version {_sql_string(storage_version)})")
            except duckdb.Error as error:
                raise RuntimeError(
                    f"INSIGHTS_SERVING_DUCKDB_STORAGE={storage_version}: DuckDB "
                    f"{duckdb.__version__} cannot write that storage format "
                    f"({str(error).split(', valid options')[0]})"
                ) from None
            con.execute("use serving_catalog")
            con.execute(f"create schema {MARTS_SCHEMA}")
            for table, file_name in files.items():
                con.execute(_view_sql(folder, table, file_name))
            con.execute("checkpoint")
            con.execute("use memory")
            con.execute("detach serving_catalog")
        fsync_path(building)
        os.replace(building, serving_path)
        fsync_path(serving_path.parent)
    finally:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)


def retired_generation(error: Exception) -> bool:
    """Whether a reader's error is a statement opening a generation file that a publish
    removed between the statement's listing of the generations and its open: DuckDB may open
    files of generations the switch did not choose while it plans a statement. Rare (two
    failed requests in a few thousand, during a publish, under overlapping load); running the
    statement again reads the generations there are now."""
    message = str(error)
    return (f"/{GENERATIONS}/{GENERATION_PREFIX}" in message
            and ("No such file" in message or "No files found" in message))


def _retire_generations(folder: Path, ring: list[str]) -> None:
    keep = {f"{GENERATION_PREFIX}{generation}" for generation in ring}
    for path in folder.glob(f"{GENERATION_PREFIX}*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def publish_duckdb(
    warehouse_path: Path, serving_path: Path, memory_limit: str = "3GB",
    storage_version: str = "v1.5.0", log=None,
) -> dict[str, int]:
    """Publish every table of schema `marts` as a new generation; return the row counts.

    The caller holds the writer lock. When this returns, every new statement reads the new
    generation."""
    tables = mart_tables(warehouse_path)
    if not tables:
        raise RuntimeError(f"the warehouse {warehouse_path} has no tables in schema marts")
    folder = generations_dir(serving_path)
    folder.mkdir(parents=True, exist_ok=True)
    previous = read_switch(serving_path)
    generation = _new_generation_id(folder)
    with duckdb.connect() as con:
        # The same bound as the dbt build: the ordered copy of a 10M-document mart sorts out
        # of core instead of taking 80% of the machine.
        con.execute(f"set memory_limit = {_sql_string(memory_limit)}")
        con.execute(f"attach {_sql_string(str(warehouse_path))} as warehouse (read_only)")
        counts, files = _write_generation(con, tables, folder, generation)
        con.execute("detach warehouse")
        if previous is None:  # the first publish: the catalog's views need a switch to read
            previous = {"current": generation, "ring": []}
            _write_switch(con, folder, generation, None)
        _write_catalog(serving_path, folder, files, storage_version)
        valid_from = _write_switch(con, folder, generation, previous)
        if datetime.now(UTC) >= valid_from and log is not None:
            # a statement starting in between may have read the old switch for one view and
            # the new one for another: say so, the disk was that slow
            log(f"the serving switch took longer than {SWITCH_DELAY.total_seconds()}s to "
                "write; a reader may have seen two publishes in one statement")
    _retire_generations(folder, read_switch(serving_path)["ring"])
    wait = (valid_from - datetime.now(UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait)  # from here on every new statement reads this publish
    return counts


def copy_marts_as_tables(serving_path: Path, target: Path, *, sorted_rows: bool = False) -> Path:
    """The served marts copied into a DuckDB file of their own, as tables (a snapshot that
    does not depend on the generations folder); `sorted_rows` stores them in the serving sort
    order. For tests and benchmarks."""
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach {_sql_string(str(serving_path))} as served (read_only)")
        con.execute(f"create schema {MARTS_SCHEMA}")
        for (table,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'served' and table_schema = ?", [MARTS_SCHEMA]).fetchall():
            columns = {name for (name,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = "
                "'served' and table_schema = ? and table_name = ?", [MARTS_SCHEMA, table]
            ).fetchall()}
            order = _order_by_columns(columns) if sorted_rows else ""
            con.execute(f'create table {MARTS_SCHEMA}."{table}" as '
                        f'select * from served.{MARTS_SCHEMA}."{table}"{order}')
        con.execute("detach served")
    return target
