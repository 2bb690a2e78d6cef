"""Compaction keeps every landed row and what each reader of the landing zone sees."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.checks.suite_checks import newest_batch
from pipelines.checks.volume import initial_load_batches, recent_fetched_counts
from pipelines.extraction.lists import current_spaces
from pipelines.landing import compaction
from pipelines.landing.compaction import compact, compact_landing
from pipelines.landing.zone import LandingZone, data_files, file_batch_id, is_compacted
from pipelines.simulator import SimClock
from tests.conftest import ANCHOR
from tests.dbt.support import extract

ROOT = Path(__file__).resolve().parents[1]


def rows(landing, folder: str) -> pl.DataFrame:
    """Every row a reader's glob of one folder matches, as dbt reads it (DuckDB, union by
    name), in a fixed order."""
    glob = LandingZone(landing).reader_globs()[folder]
    with duckdb.connect() as con:
        frame = con.sql(f"select * from read_parquet('{glob}', "
                        "union_by_name = true, hive_partitioning = false)").pl()
    return frame.sort(frame.columns, nulls_last=True)


def snapshot(landing) -> dict[str, pl.DataFrame]:
    """The documents, each list, the run records and the quarantine, as dbt reads them."""
    return {folder: rows(landing, folder) for folder in LandingZone(landing).reader_globs()}


def compact_locked(zone: LandingZone):
    """`compact` under the writer lock, as `insights compact` runs it."""
    with zone.writing():
        return compact(zone)


def reader_views(landing) -> dict:
    zone = LandingZone(landing)
    views = {"first_batches": zone.first_batch_by_space(),
             "initial_loads": initial_load_batches(landing),
             "spaces": current_spaces(zone).sort("id")}
    for entity in ("spaces", "users", "assignments", "documents"):
        batch = newest_batch(landing, entity)
        views[f"records/{entity}"] = zone.batch_records(entity)
        views[f"history/{entity}"] = recent_fetched_counts(landing, entity,
                                                           before=batch["batch_id"])
        frames = zone.batch_frames(entity, batch["batch_id"])
        views[f"newest/{entity}"] = (pl.concat(frames).sort("_raw") if frames else None)
    for space in sorted(views["first_batches"])[:3]:
        views[f"keys/{space}"] = zone.landed_document_keys(space, None).sort(pl.all())
    return views


@pytest.fixture(scope="module")
def landed(tmp_path_factory, small_world):
    """Three real extractions of a moving world (one file per changed space and step each)."""
    home = tmp_path_factory.mktemp("compaction") / "home"
    clock = SimClock(start=ANCHOR - timedelta(days=2))
    for _ in range(3):
        extract(home, small_world, clock)
        clock.advance(timedelta(days=1))
    return home / "landing"


def copy_of(landing, tmp_path):
    shutil.copytree(landing, tmp_path / "landing")
    return tmp_path / "landing"


def assert_views_equal(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key, value in before.items():
        if isinstance(value, pl.DataFrame) or isinstance(after[key], pl.DataFrame):
            assert isinstance(value, pl.DataFrame) and isinstance(after[key], pl.DataFrame), key
            assert value.equals(after[key]), key
        else:
            assert value == after[key], key


def test_compaction_keeps_every_row_and_every_reader_view(landed, tmp_path):
    landing = copy_of(landed, tmp_path)
    zone = LandingZone(landing)
    before, views = snapshot(landing), reader_views(landing)
    files_before = sum(len(data_files(f)) for f in zone.compaction_folders())
    months = {f: {file_batch_id(p)[:6] for p in data_files(f)} for f in zone.compaction_folders()}

    report = compact_locked(zone)

    assert report.files_before == files_before and report.files_after < files_before
    for folder in zone.compaction_folders():  # one file per month of batches
        assert len(data_files(folder)) == len(months[folder]), folder
    after = snapshot(landing)
    for pattern, frame in before.items():
        assert frame.height > 0 or pattern == "quarantine", pattern
        assert frame.equals(after[pattern]), f"{pattern}: rows changed"
    assert_views_equal(views, reader_views(landing))
    assert not zone.staging_dir().exists()
    # a second compaction has nothing to merge and changes nothing
    again = compact_locked(zone)
    assert again.folders_compacted == 0 and again.files_after == report.files_after


def test_files_landed_after_a_compaction_merge_into_the_month_file(landed, tmp_path,
                                                                   small_world):
    landing = copy_of(landed, tmp_path)
    zone = LandingZone(landing)
    compact_locked(zone)
    first_names = {f.name for folder in zone.compaction_folders() for f in data_files(folder)}
    extract(landing.parent, small_world, SimClock(start=ANCHOR + timedelta(days=1)))
    before, views = snapshot(landing), reader_views(landing)
    grown = {f for f in zone.compaction_folders() if len(data_files(f)) >= 2}
    assert len(grown) > 5, "the extraction landed too little to test with"

    compact_landing(landing, landing.parent / "state")

    assert all(before[p].equals(f) for p, f in snapshot(landing).items()), "rows changed"
    assert_views_equal(views, reader_views(landing))
    for folder in grown:
        for path in data_files(folder):
            assert is_compacted(path) and path.name not in first_names, "a name was reused"
    journal = (landing.parent / "state" / "writer.journal").read_text().splitlines()
    assert journal, "compaction did not take the writer lock"


def _land(zone: LandingZone, space: str, batch_id: str, rows_: int, **extra) -> Path:
    frame = pl.DataFrame({"document_id": [f"d{batch_id}{i}" for i in range(rows_)],
                          "space_id": [space] * rows_,  # the landing refuses another space's
                          "updated_at": [datetime(2026, 1, 1, tzinfo=UTC)] * rows_,
                          "_batch_id": [batch_id] * rows_, **extra})
    with zone.writing():
        return zone.land_documents(frame, space, batch_id, 0)


def test_months_compact_separately_and_large_files_stay(tmp_path, monkeypatch):
    zone = LandingZone(tmp_path / "landing")
    for batch in ("20260105T000000Z-aaaaaaaa", "20260120T000000Z-bbbbbbbb",
                  "20260203T000000Z-cccccccc", "20260204T000000Z-dddddddd",
                  "20260301T000000Z-eeeeeeee"):
        _land(zone, "s1", batch, 3)
    large = _land(zone, "s1", "20260302T000000Z-ffffffff", 5000)
    monkeypatch.setattr(compaction, "LARGE_FILE_BYTES", large.stat().st_size)

    compact_locked(zone)

    names = sorted(f.name for f in zone.landed_files("documents", space_id="s1"))
    assert [n[:15] for n in names if is_compacted(n)] == ["20260105T000000", "20260203T000000"]
    assert large.name in names and "20260301T000000Z-eeeeeeee-0000.parquet" in names
    merged = pl.read_parquet(zone.landed_files("documents", space_id="s1")[0])
    assert merged["_batch_id"].to_list() == ["20260105T000000Z-aaaaaaaa"] * 3 + \
        ["20260120T000000Z-bbbbbbbb"] * 3, "rows are not kept in batch order"


def test_a_folder_whose_types_differ_is_left_as_it_is(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    _land(zone, "s1", "20260105T000000Z-aaaaaaaa", 2, amount=[1, 2])
    _land(zone, "s1", "20260106T000000Z-bbbbbbbb", 2, amount=["1", "2"])
    _land(zone, "s2", "20260105T000000Z-aaaaaaaa", 2)
    _land(zone, "s2", "20260106T000000Z-bbbbbbbb", 2)

    report = compact_locked(zone)

    assert list(report.skipped) == [str(zone.documents_dir("s1").relative_to(zone.root))]
    assert len(zone.landed_files("documents", space_id="s1")) == 2
    assert len(zone.landed_files("documents", space_id="s2")) == 1
    assert not zone.staging_dir().exists()


def test_a_reader_at_the_swap_sees_every_row_once(landed, tmp_path, monkeypatch):
    """DuckDB reading the documents glob right before and right after each folder's swap
    sees every landed row once; a reader that listed the folder before the swap finds each
    listed name either gone or still the very same file (never a rewritten one)."""
    landing = copy_of(landed, tmp_path)
    expected = rows(landing, "documents")
    swap = compaction.exchange
    swaps = []

    def observed_swap(folder, stage):
        assert rows(landing, "documents").equals(expected), "before a swap"
        listed = {p: p.stat().st_ino for p in folder.glob("*.parquet")}
        swap(folder, stage)
        assert rows(landing, "documents").equals(expected), "after a swap"
        for path, inode in listed.items():
            assert not path.exists() or path.stat().st_ino == inode, f"{path} was rewritten"
        swaps.append(folder)

    monkeypatch.setattr(compaction, "exchange", observed_swap)
    compact_locked(LandingZone(landing))
    assert len([f for f in swaps if f.parent.name == "documents"]) > 5


@pytest.mark.parametrize("mode", ["mid_write", "after_swap"])
def test_kill_mid_compaction_then_rerun_loses_and_duplicates_nothing(landed, tmp_path, mode):
    landing = copy_of(landed, tmp_path)
    before = snapshot(landing)
    child = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "compaction_crash_child.py"), str(tmp_path), mode],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    zone = LandingZone(landing)
    assert zone.staging_dir().exists(), "the kill left nothing behind to recover from"
    compacted = [f for f in zone.compaction_folders() if any(map(is_compacted, data_files(f)))]
    assert len(compacted) == (2 if mode == "mid_write" else 3)
    # the killed compaction's state is invisible: every reader sees every row once
    assert all(before[p].equals(f) for p, f in snapshot(landing).items()), "after the kill"

    report = compact_landing(landing, tmp_path / "state")

    assert not zone.staging_dir().exists() and not zone.partial_files()
    assert all(before[p].equals(f) for p, f in snapshot(landing).items()), "after the rerun"
    assert report.folders_compacted > 0 and compact_locked(zone).folders_compacted == 0


def test_insights_compact_reports_what_it_merged(landed, tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    landing = copy_of(landed, tmp_path)
    monkeypatch.setenv("INSIGHTS_HOME", str(tmp_path))
    assert main(["compact"]) == 0
    out = capsys.readouterr().out
    assert f"Compacting the landing zone in {landing}" in out
    assert "folder(s) compacted" in out and " -> " in out
    assert main(["compact"]) == 0 and "0 of " in capsys.readouterr().out
