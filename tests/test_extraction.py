"""Extraction and landing through the real Dagster assets, against the simulator over HTTP."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from pipelines.landing.marks import MarkStore
from pipelines.landing.records import landed_schema
from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.api_client import RetryPolicy
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME
from pipelines.simulator import FaultConfig, SimClock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings

EVERY_FAULT = FaultConfig(
    seed=3, rate_limit=0.1, retry_after="0", retry_after_http_date_share=0.0, server_error=0.1,
    connection_reset=0.1, timeout=0.05, timeout_sleep_seconds=0.6, truncated_json=0.1,
    token_revoked=0.05,
)


def refresh(home, world, *, clock, faults=None, retry=FAST_RETRY, **variables):
    settings = make_settings(home, INSIGHTS_API_TIMEOUT_SECONDS="0.4", **variables)
    api = SimulatedClientSpacesApi(settings, world=world, faults=faults, clock=clock, retry=retry)
    try:
        return run_refresh(settings, api, job_name=EXTRACT_JOB_NAME), api
    finally:
        api.close()


def landed_documents(home) -> pl.DataFrame:
    return LandingZone(home / "landing").scan_documents().collect()


def readable_truth(world, now) -> pl.DataFrame:
    readable = [s["id"] for s in world.spaces_at(now)
                if s["link_status"] == "ACTIVE" and world.space_accessible(s["id"], now)]
    docs = world.current_documents(now)
    return docs.filter(pl.col("space_id").is_in(readable))


def keys(frame: pl.DataFrame) -> set:
    return set(zip(frame["document_id"], frame["updated_at"], strict=True))


def test_full_extraction_under_every_fault_equals_ground_truth(tmp_path, small_world):
    clock = SimClock(start=ANCHOR)
    outcome, _ = refresh(tmp_path, small_world, clock=clock, faults=EVERY_FAULT)
    assert outcome.ok, (outcome.failed_steps, outcome.failed_checks)

    landed = landed_documents(tmp_path)
    truth = readable_truth(small_world, ANCHOR)
    assert landed.height == len(keys(landed)), "a version landed twice"
    assert keys(landed) == keys(truth), "the landed set differs from the simulator's truth"

    zone = LandingZone(tmp_path / "landing")
    spaces = {s["id"] for s in small_world.spaces_at(ANCHOR)}
    assert set(zone.scan("spaces").collect()["id"]) == spaces
    assert zone.scan("users").collect().height == len(small_world.users_at(ANCHOR))
    assert zone.scan("assignments").collect().height == len(small_world.assignments_at(ANCHOR))
    # Fields unknown to the contract survive in the raw record.
    assert landed["_raw"].str.contains("source_reference").all()
    # Each documents file holds the one space its folder names (the landed suite relies on it).
    for path in zone.landed_files("documents"):
        assert set(pl.read_parquet(path)["space_id"]) == {zone.space_of(path)}

    # A second run over an unchanged world lands nothing new.
    again, _ = refresh(tmp_path, small_world, clock=clock)
    assert again.ok
    assert again.metadata["landing/documents"]["new_versions"] == 0
    assert landed_documents(tmp_path).height == landed.height


def test_incremental_runs_follow_a_moving_world(tmp_path, small_world):
    # The world moves between reads (30 simulated seconds per request) and between runs.
    clock = SimClock(start=ANCHOR - timedelta(days=6), tick_per_request=timedelta(seconds=30))
    for _ in range(4):
        before_run = clock.now()
        outcome, _ = refresh(tmp_path, small_world, clock=clock)
        assert outcome.ok
        clock.advance(timedelta(days=1, hours=3))
    landed = landed_documents(tmp_path)
    assert landed.height == len(keys(landed)), "a version landed twice"
    real_versions = keys(small_world.versions)
    assert keys(landed) <= real_versions, "a landed version never existed"
    # Nothing visible when the last run started was lost: each document's landed history
    # reaches at least the state it had then.
    newest = landed.group_by("document_id").agg(pl.col("updated_at").max().alias("newest"))
    truth = readable_truth(small_world, before_run).join(newest, on="document_id", how="left")
    missing = truth.filter(pl.col("newest").is_null() | (pl.col("newest") < pl.col("updated_at")))
    assert missing.is_empty(), f"{missing.height} document states were lost"


def _late_commit_scenario(world):
    """A late version L, and a read time before it is visible but after a newer version."""
    versions = world.versions
    late = versions.filter(pl.col("visible_at") > pl.col("updated_at") + timedelta(seconds=30))
    readable = set(readable_truth(world, ANCHOR)["space_id"])
    for row in late.sort("updated_at").iter_rows(named=True):
        if row["space_id"] not in readable or row["updated_at"] > ANCHOR:
            continue
        read_at = row["visible_at"] - timedelta(seconds=1)
        newer = versions.filter(
            (pl.col("space_id") == row["space_id"]) & (pl.col("updated_at") > row["updated_at"])
            & (pl.col("visible_at") <= read_at)
        )
        if newer.height:
            return row, read_at
    pytest.fail("the simulated world has no late commit to test with")


@pytest.mark.parametrize("lookback_minutes", [10, 0])
def test_late_commits_inside_the_lookback_are_captured(tmp_path, small_world, lookback_minutes):
    late, read_at = _late_commit_scenario(small_world)
    clock = SimClock(start=read_at)
    first, _ = refresh(tmp_path, small_world, clock=clock,
                       INSIGHTS_LOOKBACK_MINUTES=lookback_minutes)
    assert first.ok
    assert (late["document_id"], late["updated_at"]) not in keys(landed_documents(tmp_path))
    clock.advance(timedelta(minutes=6))
    second, _ = refresh(tmp_path, small_world, clock=clock,
                        INSIGHTS_LOOKBACK_MINUTES=lookback_minutes)
    assert second.ok
    captured = (late["document_id"], late["updated_at"]) in keys(landed_documents(tmp_path))
    # Without a lookback the late commit is missed: proof that this test can fail.
    assert captured is (lookback_minutes > 0)


def test_documents_sharing_one_updated_at_across_pages_are_neither_lost_nor_duplicated(
    tmp_path, small_world
):
    truth = readable_truth(small_world, ANCHOR)
    # A group larger than two pages spans at least two page boundaries.
    groups = truth.group_by("space_id", "updated_at").len().filter(pl.col("len") > 2 * 25)
    assert groups.height, "the world has no large group sharing one updated_at"
    outcome, _ = refresh(tmp_path, small_world, clock=SimClock(start=ANCHOR),
                         INSIGHTS_API_PAGE_SIZE=25)
    assert outcome.ok
    landed = landed_documents(tmp_path)
    assert landed.height == len(keys(landed))
    assert keys(landed) == keys(truth)


def test_invalid_records_are_quarantined_with_reasons(tmp_path, small_world):
    faults = FaultConfig(seed=9, invalid_records=0.03)
    outcome, _ = refresh(tmp_path, small_world, clock=SimClock(start=ANCHOR), faults=faults,
                         INSIGHTS_QUARANTINE_MAX_SHARE="0.05")
    assert outcome.ok, outcome.failed_checks
    assert "landing/documents:quarantine_share" in outcome.warnings
    meta = outcome.metadata["landing/documents"]
    assert meta["quarantined"] > 0
    assert meta["fetched"] == meta["landed"] + meta["quarantined"]

    quarantine = LandingZone(tmp_path / "landing").quarantined("documents")
    assert quarantine.height == meta["quarantined"]
    assert quarantine["_raw"].str.len_chars().min() > 2  # the payload is kept
    reasons = " ".join(quarantine["reason"])
    for expected in ("category: unknown value", "document_id: missing", "unparseable timestamp",
                     "space_id: does not match", "not a decimal number"):
        assert expected in reasons
    invalid = keys(small_world.invalid_versions(faults))
    truth = readable_truth(small_world, ANCHOR)
    expected_invalid = {k for k in keys(truth) if k in invalid}
    assert len(expected_invalid) == meta["quarantined"]
    assert keys(landed_documents(tmp_path)) == keys(truth) - expected_invalid


def test_revoked_space_is_reported_and_the_run_still_succeeds(tmp_path, small_world):
    outcome, _ = refresh(tmp_path, small_world, clock=SimClock(start=ANCHOR))
    assert outcome.ok
    unreadable = outcome.metadata["landing/documents"]["spaces_unreadable"]
    assert {u["status"] for u in unreadable} == {"access_revoked"}


def test_a_failing_space_does_not_stop_the_others_and_keeps_its_mark(tmp_path, small_world):
    readable = sorted(set(readable_truth(small_world, ANCHOR)["space_id"]))
    broken = readable[0]
    outcome, _ = refresh(tmp_path, small_world, clock=SimClock(start=ANCHOR),
                         faults=FaultConfig(failing_spaces=frozenset({broken})),
                         retry=RetryPolicy(max_attempts=3, backoff_base_seconds=0.001))
    # The other clients' figures go on: the failure is a warning (and an alert), not a stop.
    assert outcome.ok
    assert outcome.warnings == ["landing/documents:every_space_read"]
    failed = [u for u in outcome.metadata["landing/documents"]["spaces_unreadable"]
              if u["status"] == "failed"]
    assert [f["space_id"] for f in failed] == [broken]
    assert "gave up after 3 attempts" in failed[0]["error"] and "503" in failed[0]["error"]
    assert MarkStore(tmp_path / "state").get(broken) is None
    landed = landed_documents(tmp_path)
    assert set(landed["space_id"]) == set(readable) - {broken}, "the other spaces landed"
    # The rerun without the fault converges to the truth.
    again, _ = refresh(tmp_path, small_world, clock=SimClock(start=ANCHOR))
    assert again.ok
    landed = landed_documents(tmp_path)
    assert landed.height == len(keys(landed))
    assert keys(landed) == keys(readable_truth(small_world, ANCHOR))


def test_the_landing_refuses_another_space_s_documents(tmp_path, small_world):
    zone = LandingZone(tmp_path / "landing")
    space_a, space_b = sorted(s["id"] for s in small_world.spaces_at(ANCHOR))[:2]
    schema = landed_schema("documents")
    rows = pl.DataFrame({"space_id": [space_a, space_b]}).select(
        pl.col("space_id") if name == "space_id" else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items())
    with zone.writing(), pytest.raises(ValueError, match=space_b):
        zone.land_documents(rows, space_a, "20260615T120000Z-test", 0)
    assert not zone.landed_files("documents", space_id=space_a), "nothing may land"
