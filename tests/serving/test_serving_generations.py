"""The serving file's slots (pipelines/serving/duckdb_file.py): a statement reads only the slot
the switch names, a publish never removes a file a reader may list, a publish that fails before
its switch publishes nothing, and a release that changes a mart's columns leaves no stale file."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.serving.duckdb_file import (
    SLOTS,
    generations_dir,
    publish_duckdb,
    read_switch,
    slot_dir,
)
from tests.failures.conftest import marts


@pytest.fixture
def published(published_firm, tmp_path):
    warehouse = published_firm.home / "warehouse" / "warehouse.duckdb"
    serving = tmp_path / "serving" / "insights.duckdb"
    switches = []
    for _ in range(SLOTS + 2):
        publish_duckdb(warehouse, serving)
        switches.append(read_switch(serving))
    return warehouse, serving, switches


def test_publishes_go_round_the_ring_of_slots(published):
    _, serving, switches = published
    assert [s["current_slot"] for s in switches] == [0, 1, 2, 0, 1]
    assert [s["previous_slot"] for s in switches] == [0, 0, 1, 2, 0]
    assert len({s["current"] for s in switches}) == len(switches), "each publish is named"
    folder = generations_dir(serving)
    assert sorted(p.name for p in folder.iterdir()) == [
        "current.csv", *(f"slot={n}" for n in range(SLOTS))]
    tables = {p.name for p in slot_dir(folder, 0).iterdir()}
    for slot in range(SLOTS):
        assert {p.name for p in slot_dir(folder, slot).iterdir()} == tables


def test_a_statement_reads_rows_of_only_the_slot_the_switch_names(published, published_firm):
    """Every row twice in every file of the other slots, and every mart still reads as served.
    (DuckDB opens the first file of a view's list to bind its columns, whichever slot it is
    in: so every listed file must always be a complete file of the view's columns.)"""
    _, serving, _ = published
    folder = generations_dir(serving)
    current = read_switch(serving)["current_slot"]
    with duckdb.connect() as con:
        for slot in set(range(SLOTS)) - {current}:
            for path in slot_dir(folder, slot).glob("*.parquet"):
                doubled = path.with_name(f".{path.name}.doubled")
                con.execute(f"copy (select * from '{path}' union all select * from '{path}') "
                            f"to '{doubled}' (format parquet)")
                doubled.replace(path)
    assert marts(serving) == marts(published_firm.serving_path)


def test_a_publish_replaces_files_and_never_removes_one_a_reader_lists(published):
    """A connection that listed the slot files keeps finding every one of them across a
    publish: each file is renamed over its predecessor, none is deleted."""
    warehouse, serving, _ = published
    folder = generations_dir(serving)
    before = {p: p.stat().st_ino for p in folder.glob("slot=*/*.parquet")}
    publish_duckdb(warehouse, serving)
    after = {p: p.stat().st_ino for p in folder.glob("slot=*/*.parquet")}
    assert set(after) == set(before)
    rewritten = slot_dir(folder, read_switch(serving)["current_slot"])
    assert all(after[p] != before[p] for p in after if p.parent == rewritten)
    assert all(after[p] == before[p] for p in after if p.parent != rewritten)


def test_a_publish_that_fails_before_its_switch_publishes_nothing(published):
    warehouse, serving, _ = published
    switch = read_switch(serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        before = con.execute("select count(*) from marts.fct_documents").fetchone()
    with pytest.raises(RuntimeError, match="INSIGHTS_SERVING_DUCKDB_STORAGE=v0.0.1"):
        publish_duckdb(warehouse, serving, storage_version="v0.0.1")
    assert read_switch(serving) == switch
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_documents").fetchone() == before
    publish_duckdb(warehouse, serving)  # the half-written slot is written again
    assert read_switch(serving)["previous_slot"] == switch["current_slot"]


def test_a_mart_whose_columns_changed_leaves_no_stale_file_in_the_slot(published, tmp_path):
    warehouse, serving, _ = published
    changed = tmp_path / "changed.duckdb"
    with duckdb.connect(str(changed)) as con:
        con.execute(f"attach '{warehouse}' as source (read_only)")
        con.execute("create schema marts")
        for (table,) in con.execute("select table_name from information_schema.tables "
                                    "where table_catalog = 'source' and table_schema = 'marts'"
                                    ).fetchall():
            extra = ", 1 as added_column" if table == "dim_clients" else ""
            con.execute(f'create table marts."{table}" as '
                        f'select *{extra} from source.marts."{table}"')
    publish_duckdb(changed, serving)
    slot = slot_dir(generations_dir(serving), read_switch(serving)["current_slot"])
    assert len(list(slot.glob("dim_clients__*.parquet"))) == 1
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select min(added_column) from marts.dim_clients").fetchone() == (1,)


def test_a_home_of_the_layout_before_slots_is_taken_over(published):
    """Releases before the slot ring wrote `generation=<id>` folders and a switch without
    slots: the first publish of this release starts the ring and removes those folders."""
    warehouse, serving, _ = published
    folder = generations_dir(serving)
    old = folder / "generation=8230000000000000-20260101T000000000000Z"
    old.mkdir()
    (old / "fct_documents__0123456789.parquet").write_bytes(b"old")
    with duckdb.connect() as con:
        con.execute("copy (select 'x' as current_generation, 'x' as previous_generation, "
                    "now() as valid_from, ['x'] as ring) "
                    f"to '{folder / 'current.parquet'}' (format parquet)")
    (folder / "current.csv").unlink()
    assert read_switch(serving) is None
    publish_duckdb(warehouse, serving)
    assert not old.exists()
    assert not (folder / "current.parquet").exists()
    assert read_switch(serving)["current_slot"] == 0
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_documents").fetchone()[0] > 0


def test_a_home_of_the_parquet_switch_is_taken_over_without_touching_its_served_slots(
        published, published_firm):
    """The release before this one switched with `current.parquet`: the first publish of this
    one writes neither the slot it serves nor the one before, then removes that file."""
    warehouse, serving, _ = published
    folder = generations_dir(serving)
    served = read_switch(serving)
    (folder / "current.csv").unlink()
    with duckdb.connect() as con:
        con.execute(
            "copy (select ?::integer as current_slot, ?::integer as previous_slot, "
            "?::varchar as current_generation, ?::varchar as previous_generation, "
            "?::timestamptz as valid_from) "
            f"to '{folder / 'current.parquet'}' (format parquet)",
            [served["current_slot"], served["previous_slot"], served["current"],
             served["previous"], served["valid_from"]])
    untouched = {p: p.stat().st_ino for slot in (served["current_slot"], served["previous_slot"])
                 for p in slot_dir(folder, slot).glob("*.parquet")}
    publish_duckdb(warehouse, serving)
    switch = read_switch(serving)
    assert switch["current_slot"] not in (served["current_slot"], served["previous_slot"])
    assert switch["previous_slot"] == served["current_slot"]
    assert {p: p.stat().st_ino for p in untouched} == untouched
    assert not (folder / "current.parquet").exists()
    assert marts(serving) == marts(published_firm.serving_path)
