"""The publish gate: when a blocking check fails, the serving database is not replaced."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import duckdb
import polars as pl

from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME, REFRESH_JOB_NAME
from pipelines.simulator import FaultConfig, SimClock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings


def _refresh(home, world, clock, faults=None, job_name=REFRESH_JOB_NAME, **variables):
    settings = make_settings(home, INSIGHTS_AS_OF=clock.now().isoformat(), **variables)
    api = SimulatedClientSpacesApi(settings, world=world, clock=clock, faults=faults,
                                   retry=FAST_RETRY)
    try:
        return run_refresh(settings, api, job_name=job_name)
    finally:
        api.close()


def _fingerprint(home) -> tuple[str, int]:
    path = home / "serving" / "insights.duckdb"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with duckdb.connect(str(path), read_only=True) as con:  # still complete and readable
        documents = con.execute("select count(*) from marts.fct_documents").fetchone()[0]
    return digest, documents


def test_failed_blocking_checks_keep_the_last_good_marts(tmp_path, small_world):
    clock = SimClock(start=ANCHOR - timedelta(days=3))
    good = _refresh(tmp_path, small_world, clock)
    assert good.ok, (good.failed_steps, good.failed_checks)
    published = _fingerprint(tmp_path)
    assert published[1] > 0
    # Row counts reach Dagster as metadata of each model built as a table.
    assert good.metadata["marts/fct_documents"]["dagster/row_count"] == published[1]

    # 1. Too many invalid records from the source: the quarantine share blocks the publish.
    clock.advance(timedelta(days=1))
    flooded = _refresh(tmp_path, small_world, clock, faults=FaultConfig(invalid_records=0.5))
    assert not flooded.ok
    assert "landing/documents:quarantine_share" in flooded.failed_checks
    assert "serving__insights_duckdb" not in flooded.failed_steps  # never started
    assert _fingerprint(tmp_path) == published

    # 2. A corrupted landing batch (written by something else): the dbt tests stop the build.
    landed = LandingZone(tmp_path / "landing").landed_files("documents")[0]
    frame = pl.read_parquet(landed).head(1).with_columns(
        category=pl.lit("NOT_A_CATEGORY"), _batch_id=pl.lit("99999999T999999Z-corrupt")
    )
    frame.write_parquet(landed.with_name("99999999T999999Z-corrupt-0000.parquet"))
    clock.advance(timedelta(hours=1))
    corrupted = _refresh(tmp_path, small_world, clock)
    assert not corrupted.ok
    assert "warehouse_models" in corrupted.failed_steps
    assert _fingerprint(tmp_path) == published


def test_a_sudden_drop_in_volume_keeps_the_last_good_marts(tmp_path, small_world):
    clock = SimClock(start=ANCHOR - timedelta(days=3))
    for job_name in (EXTRACT_JOB_NAME, EXTRACT_JOB_NAME, REFRESH_JOB_NAME):
        clock.advance(timedelta(hours=6))  # history for the volume check, then a publish
        assert _refresh(tmp_path, small_world, clock, job_name=job_name).ok
    published = _fingerprint(tmp_path)
    clock.advance(timedelta(hours=6))
    dropped = _refresh(tmp_path, small_world, clock, faults=FaultConfig(list_share=0.2))
    assert not dropped.ok
    assert "landing/spaces:volume_within_bounds" in dropped.failed_checks
    assert _fingerprint(tmp_path) == published


def test_a_few_invalid_records_still_publish_with_a_warning(tmp_path, small_world):
    clock = SimClock(start=ANCHOR)
    outcome = _refresh(tmp_path, small_world, clock, faults=FaultConfig(invalid_records=0.002))
    assert outcome.ok, (outcome.failed_steps, outcome.failed_checks)
    assert "landing/documents:quarantine_share" in outcome.warnings
    assert (tmp_path / "serving" / "insights.duckdb").exists()
