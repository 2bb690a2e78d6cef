"""Jobs, schedules, one writer at a time, the nightly reconciliation and the repair commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.automation import apply_automation_default
from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME, RECONCILE_JOB_NAME, WRITER_TAG, refresh_job
from pipelines.settings import SettingsError, load_schedule_settings
from tests.conftest import make_settings, running_simulator
from tests.test_extraction import keys, landed_documents

ROOT = Path(__file__).resolve().parents[1]


def test_jobs_and_schedules_exist_with_their_defaults():
    for name in ("refresh", "extract", "rebuild_from_landing", "nightly_reconciliation"):
        assert defs.resolve_job_def(name).tags.get("insights/writer") == "warehouse"
        # as `insights refresh` runs them (why: pipelines/definitions.py)
        assert defs.resolve_job_def(name).executor_def is dg.in_process_executor
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


@pytest.mark.parametrize("instance_file", ["dagster.yaml", "deploy/dagster.yaml"])
def test_the_dagster_instance_runs_one_writer_at_a_time(instance_file):
    config = yaml.safe_load((ROOT / instance_file).read_text())
    limits = config["run_queue"]["tag_concurrency_limits"]
    [key] = WRITER_TAG
    assert {"key": key, "limit": 1} in limits


def test_the_deployment_keeps_its_run_history_in_postgres():
    config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    database = config["storage"]["postgres"]["postgres_db"]
    assert database["scheme"] == "postgresql+psycopg2"  # not psycopg 3: see the file
    assert database["password"] == {"env": "DAGSTER_PG_PASSWORD"}  # never in the file itself


def test_schedules_and_refresh_sensors_run_by_default_and_a_setting_stops_them():
    assert {s.name: s.default_status for s in defs.schedules} == {
        "incremental_refresh": dg.DefaultScheduleStatus.RUNNING,
        "nightly_reconciliation": dg.DefaultScheduleStatus.RUNNING,
        "daily_deadline_risk_digest": dg.DefaultScheduleStatus.RUNNING,
    }
    assert load_schedule_settings({}).automation_on
    assert not load_schedule_settings({"INSIGHTS_AUTOMATION": "off"}).automation_on
    with pytest.raises(SettingsError, match="^INSIGHTS_AUTOMATION: must be on or off"):
        load_schedule_settings({"INSIGHTS_AUTOMATION": "sometimes"})

    # The rule covers any sensor that requests runs, such as one added later; alerts keep theirs.
    @dg.sensor(job=refresh_job, default_status=dg.DefaultSensorStatus.RUNNING)
    def refresh_on_change(_context):
        return dg.SkipReason("nothing changed")

    with_sensor = dg.Definitions(schedules=defs.schedules, resources=defs.resources,
                                 sensors=[*defs.sensors, refresh_on_change])
    stopped = apply_automation_default(with_sensor, on=False)
    assert {s.default_status for s in stopped.schedules} == {dg.DefaultScheduleStatus.STOPPED}
    sensors = {s.name: s.default_status for s in stopped.sensors}
    assert sensors.pop("refresh_on_change") == dg.DefaultSensorStatus.STOPPED
    assert sensors.pop("live_refresh") == dg.DefaultSensorStatus.STOPPED  # live mode requests runs
    assert set(sensors) == {"alert_on_failed_runs", "alert_on_failed_checks",
                            "alert_on_stale_data"}
    assert set(sensors.values()) == {dg.DefaultSensorStatus.RUNNING}
    running = apply_automation_default(with_sensor, on=True)  # a sensor keeps its own default
    assert {s.name: s.default_status for s in running.sensors}["refresh_on_change"] == (
        dg.DefaultSensorStatus.RUNNING)
    assert stopped.get_sensor_def("refresh_on_change").job_name == "refresh"


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
        zone = LandingZone(tmp_path / "landing")
        victim = max(zone.landed_files("documents"), key=lambda p: p.stat().st_size)
        space_id = zone.space_of(victim)
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
