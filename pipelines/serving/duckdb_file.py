"""Publish the marts to the serving DuckDB file, so that every reader sees each publish whole.

BI tools keep DuckDB connections open for hours, and DuckDB never re-reads a database file it
has open (within one process a new connection to the same path even reuses the open instance).
So the serving file `$INSIGHTS_HOME/serving/insights.duckdb` holds no data: it is a catalog of
views, one per mart, written in a storage format that older engines read
(INSIGHTS_SERVING_DUCKDB_STORAGE: Metabase's DuckDB driver bundles the 1.5 series). The data
are Parquet files in a fixed ring of three slot folders, each holding one publish (a
generation):

    serving/generations/slot=<0|1|2>/<mart>__<schema hash>.parquet
    serving/generations/current.csv          the switch: which slot is served from when

Each view reads the slot the switch names, and the switch is decided by the query's
transaction start (`now()`, the same for every view of a statement), so one statement never
mixes two publishes. The switch is one CSV row read with declared columns, not Parquet: DuckDB
evidently reads a single Parquet file through more than one open within a statement (the
footer, then the data), since a Parquet switch renamed over as fast as possible was read
torn ("TProtocolException", "don't know what type") by DuckDB 2.0 and 1.5 alike; a CSV row
read whole from one open is one switch or the other. A publish:
1. writes the new generation into the slot that is neither served nor the one before it,
   file by file: each file is written under a hidden name and renamed over the slot's old
   file, so every path a reader may list always holds a complete Parquet file (a slot folder
   and its files are never removed; DuckDB may open files of slots the switch does not choose
   while it plans a statement);
2. rewrites the catalog as a new file renamed over the old one (new readers get the views of
   the current marts; a connection left open keeps the old catalog, whose views read the same
   switch, so until step 3 both read the previous slot);
3. replaces the switch (write, fsync, rename) with "new slot from `valid_from`, the previous
   one before", `valid_from` a moment after the rename. A statement that starts before
   `valid_from` reads the previous slot whichever switch file it reads; one that starts after
   it can only have read the new switch. Then it waits until `valid_from`.
The slot being written was served two publishes ago: only a statement running across two
whole publishes could still be reading it. A failure before step 3 publishes nothing (the
half-written slot is not served, and the next publish writes it again). The views name the
generations folder by its absolute path: a copied or moved INSIGHTS_HOME serves the old
location's files until its next publish.
The schema hash in each file name keeps a catalog on files of its own columns: after a release
changes a mart's columns, the publish removes the old-schema file from the slot it rewrites,
and an old connection must reconnect (Metabase: *Sync database schema*).
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
from pipelines.serving.keys import keys_of, serving_keys

MARTS_SCHEMA = "marts"
GENERATIONS = "generations"
SWITCH_FILE = "current.csv"
# the switch of the releases before, in Parquet; removed once the CSV switch is in force
LEGACY_SWITCH_FILE = "current.parquet"
SWITCH_COLUMNS = {"current_slot": "INTEGER", "previous_slot": "INTEGER",
                  "current_generation": "VARCHAR", "previous_generation": "VARCHAR",
                  "valid_from": "TIMESTAMPTZ"}
SLOT_PREFIX = "slot="
# the slot served, the one before it (statements that started before the switch), and the one
# being written
SLOTS = 3
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


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'warehouse' and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [MARTS_SCHEMA, table],
    ).fetchall()


def _order_by(sort_by: tuple[str, ...]) -> str:
    """A mart's declared serving order (serving/keys.py) as an ORDER BY clause, or ""."""
    return " order by " + ", ".join(f'"{name}"' for name in sort_by) if sort_by else ""


def _file_name(table: str, columns: list[tuple[str, str]]) -> str:
    schema = hashlib.sha256(repr(columns).encode()).hexdigest()[:10]
    return f"{table}__{schema}.parquet"


def _new_generation_id() -> str:
    """Names one publish in the switch (logs, the status's serving identity)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:6]}"


def slot_dir(folder: Path, slot: int) -> Path:
    return folder / f"{SLOT_PREFIX}{slot}"


def _free_slot(switch: dict | None) -> int:
    """The slot to write: neither the one served nor the one before it."""
    taken = {switch["current_slot"], switch["previous_slot"]} if switch else set()
    return min(set(range(SLOTS)) - taken)


def switch_path(serving_path: Path) -> Path:
    return generations_dir(serving_path) / SWITCH_FILE


def _read_switch_sql(path: Path) -> str:
    """The switch as a table, for any DuckDB: nothing is inferred from the file's content."""
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in SWITCH_COLUMNS.items())
    return (f"read_csv({_sql_string(str(path))}, header = true, auto_detect = false, "
            f"columns = {{{columns}}})")


def read_switch(serving_path: Path) -> dict | None:
    """The switch as last written: the served and the previous slot and generation, and from
    when the served one counts. During the upgrade from the Parquet switch, that one's."""
    folder = generations_dir(serving_path)
    path = switch_path(serving_path)
    with duckdb.connect() as con:
        if path.exists():
            source = _read_switch_sql(path)
        elif (folder / LEGACY_SWITCH_FILE).exists():
            source = f"read_parquet({_sql_string(str(folder / LEGACY_SWITCH_FILE))})"
            if "current_slot" not in {name for (name, *_) in con.execute(
                    f"describe select * from {source}").fetchall()}:
                return None  # a switch of the layout before slots: publish as if the first
        else:
            return None
        row = con.execute(f"select {', '.join(SWITCH_COLUMNS)} from {source}").fetchone()
    return dict(zip(("current_slot", "previous_slot", "current", "previous", "valid_from"),
                    row, strict=True))


def _partial_name(name: str) -> str:
    # the pid in the name tells the next run's clean-up whether the writer is still alive
    return f".{name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial"


def _write_slot(con: duckdb.DuckDBPyConnection, tables: list[str],
                slot: Path) -> tuple[dict[str, int], dict[str, str]]:
    declared = serving_keys()
    slot.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files: dict[str, str] = {}
    for table in tables:
        columns = _columns(con, table)
        files[table] = _file_name(table, columns)
        building = slot / _partial_name(files[table])
        order = _order_by(keys_of(table, (name for name, _ in columns), declared).sort_by)
        con.execute(
            f'copy (select * from warehouse.{MARTS_SCHEMA}."{table}"{order}) '
            f"to {_sql_string(str(building))} (format parquet, compression zstd)")
        counts[table] = con.execute(
            f"select count(*) from read_parquet({_sql_string(str(building))})").fetchone()[0]
        fsync_path(building)
        os.replace(building, slot / files[table])
    # files of marts whose columns changed (or that are gone): no current catalog reads them,
    # and left here they would be stale rows for a catalog of the old columns
    for path in slot.glob("*.parquet"):
        if path.name not in files.values():
            path.unlink()
    fsync_path(slot)
    return counts, files


def _write_switch(folder: Path, current: tuple[int, str], previous: tuple[int, str],
                  valid_from: datetime) -> None:
    """Replace the switch: written whole under a hidden name, then renamed over the old one."""
    building = folder / _partial_name(SWITCH_FILE)
    row = (current[0], previous[0], current[1], previous[1],
           valid_from.astimezone(UTC).isoformat())
    building.write_text(",".join(SWITCH_COLUMNS) + "\n" + ",".join(map(str, row)) + "\n",
                        encoding="utf-8")
    fsync_path(building)
    os.replace(building, folder / SWITCH_FILE)
    fsync_path(folder)


def _view_sql(folder: Path, table: str, file_name: str) -> str:
    files = _sql_string(str(folder / f"{SLOT_PREFIX}*" / file_name))
    return (
        f'create view {MARTS_SCHEMA}."{table}" as select * exclude (slot) '
        f"from read_parquet({files}, hive_partitioning = true, "
        "hive_types = {'slot': INTEGER}) "
        "where slot = (select case when now() >= valid_from then current_slot "
        f"else previous_slot end from {_read_switch_sql(folder / SWITCH_FILE)})"
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
    slot = _free_slot(previous)
    generation = _new_generation_id()
    with duckdb.connect() as con:
        # The same bound as the dbt build: the ordered copy of a 10M-document mart sorts out
        # of core instead of taking 80% of the machine.
        con.execute(f"set memory_limit = {_sql_string(memory_limit)}")
        con.execute(f"attach {_sql_string(str(warehouse_path))} as warehouse (read_only)")
        counts, files = _write_slot(con, tables, slot_dir(folder, slot))
        con.execute("detach warehouse")
        if not switch_path(serving_path).exists():
            # a new home, or the upgrade from the Parquet switch: the new catalog's views need
            # a switch in force to read, naming what is served now
            served = previous or {"current_slot": slot, "previous_slot": slot,
                                  "current": generation, "previous": generation}
            _write_switch(folder, (served["current_slot"], served["current"]),
                          (served["previous_slot"], served["previous"]), datetime.now(UTC))
        _write_catalog(serving_path, folder, files, storage_version)
        valid_from = datetime.now(UTC) + SWITCH_DELAY
        _write_switch(folder, (slot, generation),
                      (previous["current_slot"], previous["current"]) if previous
                      else (slot, generation), valid_from)
        if datetime.now(UTC) >= valid_from and log is not None:
            # a statement starting in between may have read the old switch for one view and
            # the new one for another: say so, the disk was that slow
            log(f"the serving switch took longer than {SWITCH_DELAY.total_seconds()}s to "
                "write; a reader may have seen two publishes in one statement")
    wait = (valid_from - datetime.now(UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait)  # from here on every new statement reads this publish
    _remove_folders_of_older_layouts(folder)
    return counts


def _remove_folders_of_older_layouts(folder: Path) -> None:
    # releases before the slot ring wrote one `generation=<id>` folder per publish; once a
    # publish has switched to the slots no catalog of this release reads them (a connection
    # opened before the upgrade must reconnect)
    for path in folder.glob("generation=*"):
        shutil.rmtree(path, ignore_errors=True)
    # the Parquet switch of the releases before: a connection opened before the upgrade fails
    # on its next query and must reconnect, rather than go on showing the last publish before
    (folder / LEGACY_SWITCH_FILE).unlink(missing_ok=True)


def copy_marts_as_tables(serving_path: Path, target: Path, *, sorted_rows: bool = False) -> Path:
    """The served marts copied into a DuckDB file of their own, as tables (a snapshot that
    does not depend on the generations folder); `sorted_rows` stores them in the serving sort
    order. For tests and benchmarks."""
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach {_sql_string(str(serving_path))} as served (read_only)")
        con.execute(f"create schema {MARTS_SCHEMA}")
        declared = serving_keys()
        for (table,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'served' and table_schema = ?", [MARTS_SCHEMA]).fetchall():
            columns = {name for (name,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = "
                "'served' and table_schema = ? and table_name = ?", [MARTS_SCHEMA, table]
            ).fetchall()}
            order = _order_by(keys_of(table, columns, declared).sort_by) if sorted_rows else ""
            con.execute(f'create table {MARTS_SCHEMA}."{table}" as '
                        f'select * from served.{MARTS_SCHEMA}."{table}"{order}')
        con.execute("detach served")
    return target
