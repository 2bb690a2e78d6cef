"""The Dagster checks that wrap the GX suites fail on a bad landed batch or a bad mart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.checks.suite_checks import SUITE_CHECKS
from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME
from pipelines.simulator import FaultConfig, SimClock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings, running_simulator


def _check(asset: str, name: str) -> dg.AssetChecksDefinition:
    key = dg.AssetCheckKey(dg.AssetKey(asset.split("/")), name)
    return next(c for c in SUITE_CHECKS if key in c.check_keys)


def _evaluate(check: dg.AssetChecksDefinition, settings) -> dg.AssetCheckResult:
    return check(settings=settings)


def test_the_landed_batch_check_fails_on_a_corrupted_batch(tmp_path, small_world):
    settings = make_settings(tmp_path)
    api = SimulatedClientSpacesApi(settings, world=small_world, clock=SimClock(start=ANCHOR),
                                   retry=FAST_RETRY)
    try:
        assert run_refresh(settings, api, job_name=EXTRACT_JOB_NAME).ok
    finally:
        api.close()
    check = _check("landing/documents", "landed_batch_expectations")
    passed = _evaluate(check, settings)
    assert passed.passed
    # One validation over every space's new rows, not one per space.
    assert passed.metadata["validations"].value == 1
    assert passed.metadata["rows"].value > 0

    # Corrupt one file of the newest batch: a duplicated version and a PROCESSED row
    # without processed_at, as a writer other than the extraction might leave it.
    zone = LandingZone(tmp_path / "landing")
    path = max(zone.landed_files("documents"), key=lambda p: p.stat().st_size)
    frame = pl.read_parquet(path)
    bad = pl.concat([frame, frame.head(1)]).with_columns(
        processed_at=pl.when(pl.col("accounting_status") == "PROCESSED")
        .then(None).otherwise(pl.col("processed_at"))
    )
    bad.write_parquet(path)
    result = _evaluate(check, settings)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failed = {f["expectation"] for f in result.metadata["failed_expectations"].value}
    assert "expect_compound_columns_to_be_unique" in failed
    assert any("null" in name for name in failed)
    # The failures are reported for the space whose file is bad, and for no other.
    space = zone.space_of(path)
    per_space = result.metadata["failed_spaces"].value
    assert set(per_space) == {space}
    assert "expect_compound_columns_to_be_unique(document_id,updated_at)" in per_space[space]


def test_the_mart_check_fails_on_an_out_of_range_share(tmp_path):
    settings = make_settings(tmp_path)
    warehouse = settings.get().warehouse_path
    warehouse.parent.mkdir(parents=True)
    good = {"client_id": "c1", "vat_period_start": "2026-01-01", "vat_period_end": "2026-03-31",
            "filing_deadline": "2026-04-27", "documents_total": 10, "documents_processed": 4,
            "processed_by_deadline": 4, "documents_open": 6, "pct_processed": 0.4,
            "median_hours_to_process": 5.0, "p90_hours_to_process": 9.0, "period_state": "open"}
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        frame = pl.DataFrame([good]).with_columns(
            pl.col("vat_period_start", "vat_period_end", "filing_deadline").str.to_date()
        )
        con.register("good", frame.to_arrow())
        con.execute("create table marts.mart_vat_period_progress as select * from good")
    check = _check("marts/mart_vat_period_progress", "mart_expectations")
    assert _evaluate(check, settings).passed, _evaluate(check, settings).metadata
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.mart_vat_period_progress set pct_processed = 1.2")
    result = _evaluate(check, settings)
    assert not result.passed
    columns = {f["column"] for f in result.metadata["failed_expectations"].value}
    assert "pct_processed" in columns


def test_refresh_exits_non_zero_naming_the_blocking_check(tmp_path, small_world):
    faults = FaultConfig(invalid_records=0.5)
    with running_simulator(small_world, faults=faults) as server:
        env = {**os.environ, "INSIGHTS_HOME": str(tmp_path), "INSIGHTS_API_URL": server.url,
               "INSIGHTS_API_CLIENT_ID": server.client_id,
               "INSIGHTS_API_CLIENT_SECRET": server.client_secret}
        result = subprocess.run([str(Path(sys.executable).parent / "insights"), "refresh"],
                                cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=600)
    assert result.returncode == 1
    assert "blocking check(s) failed: landing/documents:quarantine_share" in result.stdout
    assert not (tmp_path / "serving" / "insights.duckdb").exists()
