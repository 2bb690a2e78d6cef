"""The volume check against the median of recent batches, and reading the batch records."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import polars as pl
import pytest

from pipelines.checks.volume import (
    NOT_ENOUGH_HISTORY,
    initial_load_batches,
    is_initial_load,
    recent_fetched_counts,
    volume_check,
)
from pipelines.landing.records import landed_schema
from pipelines.landing.zone import LandingZone


def test_a_normal_batch_passes():
    outcome = volume_check([100, 104, 98, 101], 103)
    assert outcome.passed
    assert outcome.median == 100.5
    assert outcome.ratio == pytest.approx(103 / 100.5)


def test_a_drop_fails():
    outcome = volume_check([100, 104, 98, 101], 20)
    assert not outcome.passed
    assert outcome.reason.startswith("drop")
    assert outcome.ratio == pytest.approx(20 / 100.5)


def test_a_spike_fails():
    outcome = volume_check([100, 104, 98, 101], 450)
    assert not outcome.passed
    assert outcome.reason.startswith("spike")


def test_the_bound_is_configurable_and_inclusive():
    assert volume_check([100, 100, 100], 300).passed
    assert not volume_check([100, 100, 100], 301).passed
    assert volume_check([100, 100, 100], 34, max_ratio=3).passed  # 0.34 >= 1/3
    assert not volume_check([100, 100, 100], 33).passed
    assert volume_check([100, 100, 100], 450, max_ratio=5).passed
    assert not volume_check([100, 100, 100], 190, max_ratio=1.5).passed
    with pytest.raises(ValueError):
        volume_check([100, 100, 100], 100, max_ratio=0.5)


def test_the_median_ignores_one_outlier_in_the_history():
    assert volume_check([100, 5000, 100, 100, 100], 110).passed


def test_little_history_passes_with_a_reason():
    outcome = volume_check([100, 100], 1)
    assert outcome.passed
    assert outcome.reason.startswith(NOT_ENOUGH_HISTORY)
    assert outcome.median is None and outcome.ratio is None
    assert volume_check([], 0).passed
    assert not volume_check([100, 100], 1, min_history=2).passed


def test_an_empty_source_after_empty_batches_passes_and_anything_else_is_a_spike():
    assert volume_check([0, 0, 0], 0).passed
    outcome = volume_check([0, 0, 0], 5)
    assert not outcome.passed and math.isinf(outcome.ratio)
    assert outcome.to_dict()["current"] == 5


def _record(zone: LandingZone, entity: str, batch_id: str, fetched: int, status: str = "ok"):
    zone.record_batch(entity, batch_id, {
        "extracted_at": datetime(2026, 6, 1, tzinfo=UTC), "status": status,
        "fetched": fetched, "landed": fetched, "new_versions": 0, "quarantined": 0,
        "failures": "[]",
    })


def test_recent_fetched_counts_reads_ok_batches_of_one_entity_in_order(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    with zone.writing():  # the landing refuses a write without the writer lock
        zone.ensure_layout()  # writes the run records' zero-row schema file, which is not a batch
        for day, fetched in [(3, 30), (1, 10), (2, 20), (5, 50), (4, 40)]:
            _record(zone, "spaces", f"2026060{day}T000000Z-aaaaaaaa", fetched)
        _record(zone, "spaces", "20260606T000000Z-bbbbbbbb", 999, status="failed_spaces")
        _record(zone, "users", "20260607T000000Z-cccccccc", 7)

    landing = tmp_path / "landing"
    assert recent_fetched_counts(landing, "spaces") == [10, 20, 30, 40, 50]
    assert recent_fetched_counts(landing, "spaces", limit=2) == [40, 50]
    assert recent_fetched_counts(landing, "spaces", before="20260604T000000Z-aaaaaaaa") == [
        10, 20, 30]
    assert recent_fetched_counts(landing, "users") == [7]
    assert recent_fetched_counts(landing, "assignments") == []
    assert recent_fetched_counts(tmp_path / "nowhere", "spaces") == []


def test_documents_history_leaves_out_initial_loads(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    with zone.writing():  # the landing refuses a write without the writer lock
        zone.ensure_layout()
        one_row = pl.DataFrame(schema=landed_schema("documents"))
        batches = [f"2026060{day}T000000Z-dddddddd" for day in range(1, 6)]
        # Space a is first read in batch 1, space b joins (first read) in batch 3.
        for space, batch in [("a", batches[0]), ("a", batches[1]), ("b", batches[2]),
                             ("a", batches[2]), ("a", batches[3]), ("b", batches[4])]:
            zone.land_documents(one_row, space, batch, 0)
        zone.land_documents(one_row, "b", batches[2], 1)  # a second part of the same batch
        for batch, fetched in zip(batches, [5000, 40, 2600, 35, 45], strict=True):
            _record(zone, "documents", batch, fetched)

    landing = tmp_path / "landing"
    assert initial_load_batches(landing) == {batches[0], batches[2]}
    assert is_initial_load(landing, batches[2]) and not is_initial_load(landing, batches[3])
    assert recent_fetched_counts(landing, "documents") == [40, 35, 45]
