"""Jobs, schedules, one writer at a time, the nightly reconciliation and the repair commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME, RECONCILE_JOB_NAME, WRITER_TAG
from pipelines.settings import SettingsError, load_schedule_settings
from tests.conftest import make_settings, running_simulator
from tests.test_extraction import keys, landed_documents

ROOT = Path(__file__).resolve().parents[1]


def test_jobs_and_schedules_exist_with_their_defaults():
    for name in ("refresh", "extract", "rebuild_from_landing", "nightly_reconciliation"):
        assert defs.resolve_job_def(name).tags.get("insights/writer") == "warehouse"
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["incremental_refresh"].cron_schedule == "*/30 * * * 1-5"
    assert schedules["incremental_refresh"].job_name == "refresh"
    assert schedules["incremental_refresh"].execution_timezone == "Europe/Brussels"
    assert schedules["nightly_reconciliation"].job_name == RECONCILE_JOB_NAME


def test_schedule_settings_are_configurable_and_validated():
    hourly = load_schedule_settings({"INSIGHTS_REFRESH_CRON": "0 * * * *"})
    assert hourly.refresh_cron == "0 * * * *"
    with pytest.raises(SettingsError, match="^INSIGHTS_REFRESH_CRON: must be a cron expression"):
        load_schedule_settings({"INSIGHTS_REFRESH_CRON": "every half hour"})


def test_the_dagster_instance_runs_one_writer_at_a_time():
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    limits = config["run_queue"]["tag_concurrency_limits"]
    [key] = WRITER_TAG
    assert {"key": key, "limit": 1} in limits


def _intervals(home: Path) -> list[tuple[float, float]]:
    lines = (home / "state" / "writer.journal").read_text().split("\n")
    return sorted((float(a), float(b)) for a, b, _pid in (line.split() for line in lines if line))


def test_two_overlapping_refreshes_never_write_at_the_same_time(tmp_path, small_world):
    with running_simulator(small_world) as server:
        env = {**os.environ, "INSIGHTS_HOME": str(tmp_path), "INSIGHTS_API_URL": server.url,
               "INSIGHTS_API_CLIENT_ID": server.client_id,
               "INSIGHTS_API_CLIENT_SECRET": server.client_secret,
               "INSIGHTS_AS_OF": "2026-06-15T12:00:00Z"}
        insights = str(Path(sys.executable).parent / "insights")
        runs = [subprocess.Popen([insights, "refresh"], cwd=tmp_path, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for _ in range(2)]
        outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    intervals = _intervals(tmp_path)
    assert len(intervals) >= 2 * 6  # four landing steps, dbt and publish in each run
    for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
        assert start >= end, "two runs held the writer lock at the same time"
    landed = landed_documents(tmp_path)
    assert landed.height == len(keys(landed)), "overlapping runs landed a version twice"


def test_reconciliation_finds_lost_versions_and_reextract_repairs_them(
    tmp_path, small_world, monkeypatch
):
    with running_simulator(small_world) as server:
        settings = make_settings(tmp_path, INSIGHTS_API_URL=server.url,
                                 INSIGHTS_API_CLIENT_ID=server.client_id,
                                 INSIGHTS_API_CLIENT_SECRET=server.client_secret)
        api = ClientSpacesApi(settings)
        assert run_refresh(settings, api, job_name=EXTRACT_JOB_NAME).ok
        clean = run_refresh(settings, api, job_name=RECONCILE_JOB_NAME)
        assert clean.ok
        assert clean.metadata["reports/source_drift"]["lost_versions"] == 0
        compaction = clean.metadata["maintenance/landing_compaction"]  # the nightly's last step
        assert compaction["files_after"] < compaction["files_before"]

        # Lose one landed batch behind the pipeline's back.
        victim = max((tmp_path / "landing" / "documents").glob("space=*-*/*.parquet"),
                     key=lambda p: p.stat().st_size)
        space_id = victim.parent.name.removeprefix("space=")
        victim.unlink()
        drifted = run_refresh(settings, api, job_name=RECONCILE_JOB_NAME)
        assert "reports/source_drift:no_lost_versions" in drifted.failed_checks
        assert drifted.metadata["reports/source_drift"]["lost_versions"] > 0

        monkeypatch.setenv("INSIGHTS_HOME", str(tmp_path))
        assert main(["reextract", "--space", space_id]) == 0
        assert run_refresh(settings, api, job_name=EXTRACT_JOB_NAME).ok
        repaired = run_refresh(settings, api, job_name=RECONCILE_JOB_NAME)
        assert repaired.ok
        assert repaired.metadata["reports/source_drift"]["lost_versions"] == 0


def test_only_extraction_is_retried_by_dagster():
    landing = defs.resolve_assets_def(dg.AssetKey(["landing", "documents"]))
    assert landing.op.retry_policy.max_retries == 2
    warehouse = defs.resolve_assets_def(dg.AssetKey(["marts", "fct_documents"]))
    assert warehouse.op.retry_policy is None  # a failed dbt test does not pass by waiting
