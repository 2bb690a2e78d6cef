"""The writer lock: one wrapper, re-entrant within a thread, and no landing write without it."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime

import polars as pl
import pytest

from pipelines.held_batches import HoldStore
from pipelines.landing.compaction import compact
from pipelines.landing.records import landed_schema
from pipelines.landing.zone import LandingZone
from pipelines.writer_lock import WriterBusy, WriterLockRequired, holds_writer_lock, writer_lock
from tests.conftest import make_settings

RECORD = {"extracted_at": datetime(2026, 6, 1, tzinfo=UTC), "status": "ok", "fetched": 1,
          "landed": 1, "new_versions": 1, "quarantined": 0, "failures": "[]"}


def _one_document(space_id: str) -> pl.DataFrame:
    schema = landed_schema("documents")
    return pl.DataFrame({"space_id": [space_id]}).select(
        pl.col("space_id") if name == "space_id" else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items())


def _every_landing_write(zone: LandingZone) -> dict:
    frame = pl.DataFrame({"id": ["s1"]})
    return {
        "ensure_layout": zone.ensure_layout,
        "land_documents": lambda: zone.land_documents(_one_document("s1"), "s1",
                                                      "20260601T000000Z-aaaaaaaa", 0),
        "land_entity": lambda: zone.land_entity("spaces", frame, "20260601T000000Z-aaaaaaaa"),
        "quarantine": lambda: zone.quarantine("spaces", frame, "20260601T000000Z-aaaaaaaa", "all"),
        "record_batch": lambda: zone.record_batch("spaces", "20260601T000000Z-aaaaaaaa", RECORD),
        "remove_partials": zone.remove_partials,
        "hold": lambda: HoldStore(zone.root).hold("spaces", "20260601T000000Z-aaaaaaaa",
                                                  "volume_within_bounds", "a test"),
        "compact": lambda: compact(zone),
    }


def test_every_landing_write_without_the_writer_lock_is_refused(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    for name, write in _every_landing_write(zone).items():
        with pytest.raises(WriterLockRequired):
            write()
        assert not zone.root.exists() or not any(p.is_file() for p in zone.root.rglob("*")), \
            f"{name} wrote without the lock"


def test_every_landing_write_under_the_writer_lock_goes_through(tmp_path):
    settings = make_settings(tmp_path)
    zone = LandingZone(settings.get().landing_dir)
    with settings.get().writing():
        for write in _every_landing_write(zone).values():
            write()
    assert zone.landed_files("documents", space_id="s1")
    assert zone.landed_files("spaces") and zone.batch_records("spaces").height == 1
    assert HoldStore(zone.root).held_ids("spaces") == {"20260601T000000Z-aaaaaaaa"}


def test_the_lock_is_re_entrant_within_a_thread_and_journals_once(tmp_path):
    state = tmp_path / "state"
    assert not holds_writer_lock(state)
    with writer_lock(state):
        with writer_lock(state, timeout_seconds=0.5):  # nested: no wait, no deadlock
            assert holds_writer_lock(state)
        assert holds_writer_lock(state), "the nested exit let go of the outer hold"
    assert not holds_writer_lock(state)
    assert len((state / "writer.journal").read_text().splitlines()) == 1


def test_worker_threads_land_under_their_step_s_lock_but_another_thread_waits(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    outcome = {}

    def worker():  # the extraction's worker threads land while their step holds the lock
        outcome["landed"] = zone.land_entity("spaces", pl.DataFrame({"id": ["s1"]}), "b1")

    def other_writer():  # another writer in the same process takes its turn
        try:
            with zone.writing(timeout_seconds=0.3):
                outcome["other"] = "entered"
        except WriterBusy:
            outcome["other"] = "waited"

    with zone.writing():
        for target in (worker, other_writer):
            thread = threading.Thread(target=target)
            thread.start()
            thread.join()
    assert outcome == {"landed": zone.entity_dir("spaces") / "b1.parquet", "other": "waited"}


def test_a_lock_held_by_another_process_is_no_licence_to_write(tmp_path):
    state = tmp_path / "state"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pipelines.writer_lock import writer_lock\n"
         f"with writer_lock({str(state)!r}):\n"
         "    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not holds_writer_lock(state)
        with pytest.raises(WriterLockRequired):
            LandingZone(tmp_path / "landing").ensure_layout()
        with pytest.raises(WriterBusy), writer_lock(state, timeout_seconds=0.3):
            pass
    finally:
        holder.communicate("")
