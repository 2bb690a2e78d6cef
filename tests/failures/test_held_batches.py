"""A batch the quality gate refuses stays held, out of the marts, across later refreshes and
a rebuild, until it is released; the refusal alerts once, from the command line too."""

from __future__ import annotations

import json
from datetime import timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.alerts.sensors import alert_on_failed_runs
from pipelines.held_batches import HoldStore
from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.schedules import REBUILD_JOB_NAME
from pipelines.simulator import FaultConfig, SimClock
from tests.conftest import ANCHOR, make_settings, running_simulator
from tests.failures.conftest import api_env, marts, run_cli, serving_fingerprint, verdict
from tests.test_alerts import receiver  # noqa: F401 (the loopback webhook receiver fixture)

# a real refresh of the shared firm runs first; on a busy 2-CPU machine that takes minutes
pytestmark = [pytest.mark.failures, pytest.mark.timeout(2400)]
LATER = ANCHOR + timedelta(days=1)
LATER_AS_OF = LATER.isoformat().replace("+00:00", "Z")


def alert_lines(home) -> list[dict]:
    path = home / "alerts.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def batch_keys(home, batch_id) -> set[tuple]:
    files = LandingZone(home / "landing").landed_files("documents", batch_id=batch_id)
    frame = pl.read_parquet(files).select("document_id", "updated_at")
    return set(frame.iter_rows())


def logged_keys(home, batch_id=None) -> set[tuple]:
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        [schema] = con.execute("select table_schema from information_schema.tables "
                               "where table_name = 'int_document_versions'").fetchone()
        where = f" where batch_id = '{batch_id}'" if batch_id else ""
        rows = con.execute(f"select document_id, updated_at from {schema}.int_document_versions"
                           f"{where}").fetchall()
    return {(d, u) for d, u in rows}


def refresh(home, server, job_name=None):
    settings = make_settings(home, **api_env(server, INSIGHTS_AS_OF=LATER_AS_OF))
    outcome = run_refresh(settings, ClientSpacesApi(settings),
                          **({"job_name": job_name} if job_name else {}))
    assert outcome.ok, (outcome.step_causes, outcome.failed_checks)
    return outcome


def test_a_refused_batch_stays_held_until_released_and_alerts_once(home, receiver,  # noqa: F811
                                                                       small_world):
    url, received = receiver
    before = serving_fingerprint(home)
    # the shared firm's own refresh alerted already (its fixed as-of is old): count from here
    logged_before = len(alert_lines(home))
    faults = FaultConfig(seed=3, invalid_records=0.3)
    with running_simulator(small_world, clock=SimClock(start=LATER),
                           faults=faults) as server:
        refused = run_cli(["refresh"], home, api_env(
            server, INSIGHTS_AS_OF=LATER_AS_OF, INSIGHTS_QUARANTINE_MAX_SHARE="0",
            INSIGHTS_ALERT_WEBHOOK_URL=url))
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert "Traceback" not in output
    [hold] = HoldStore(home / "landing").held()
    assert hold.entity == "documents" and hold.checks == ["quarantine_share"]
    assert f"held: batch {hold.batch_id} (documents), refused by quarantine_share" in output
    assert "blocking check(s) failed: landing/documents:quarantine_share" in verdict(refused)
    assert "nothing new was published" in verdict(refused)
    assert serving_fingerprint(home) == before
    held_keys = batch_keys(home, hold.batch_id)
    assert held_keys

    # the CLI run alerted through the same notifiers as the daemon: log file and webhook
    [alert] = alert_lines(home)[logged_before:]
    assert alert["kind"] == "run_failed"
    assert any("quarantine_share" in line for line in alert["details"])
    assert len(received) == 1 and "quarantine_share" in received[0]["text"]
    # ... and the daemon's sensor, seeing the same run later, does not alert again
    instance = dg.DagsterInstance.local_temp(tempdir=str(home / "dagster"))
    try:
        run = instance.get_runs(limit=1)[0]
        failure = next(r.dagster_event for r in instance.all_logs(run.run_id)
                       if r.dagster_event and r.dagster_event.event_type_value
                       == "PIPELINE_FAILURE")
        alert_on_failed_runs(dg.build_run_status_sensor_context(
            sensor_name="alert_on_failed_runs", dagster_instance=instance, dagster_run=run,
            dagster_event=failure).for_run_failure())
    finally:
        instance.dispose()
    assert len(alert_lines(home)) == logged_before + 1 and len(received) == 1

    status = run_cli(["status", "--json"], home)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert [h["batch_id"] for h in report["held_batches"]] == [hold.batch_id]
    assert report["last_refresh"]["result"] == "failed"
    assert report["alerts"]["webhook"] == "not configured"  # status ran without the URL
    assert report["alerts"]["alerts_logged"] == logged_before + 1
    text = run_cli(["status"], home)
    assert f"  {hold.batch_id} (documents) since" in text.stdout, text.stdout

    # later refreshes and a rebuild leave the held rows out
    with running_simulator(small_world, clock=SimClock(start=LATER)) as server:
        refresh(home, server)
        assert not logged_keys(home) & held_keys
        refresh(home, server, REBUILD_JOB_NAME)
        assert not logged_keys(home) & held_keys
        assert HoldStore(home / "landing").held() == [hold]

        released = run_cli(["release", hold.batch_id, "--by", "tester"], home)
        assert released.returncode == 0, released.stderr
        assert f"Released batch {hold.batch_id} (documents)" in released.stdout
        assert HoldStore(home / "landing").held() == []
        # the incremental refresh after the release takes the released (older) batch in ...
        refresh(home, server)
        assert logged_keys(home, hold.batch_id) == held_keys
        incremental = marts(home / "serving" / "insights.duckdb")
        # ... exactly as a full rebuild does
        refresh(home, server, REBUILD_JOB_NAME)
        assert marts(home / "serving" / "insights.duckdb") == incremental


def test_releasing_a_batch_that_is_not_held_says_so(tmp_path):
    result = run_cli(["release", "20260101T000000Z-deadbeef"], tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "insights: batch 20260101T000000Z-deadbeef is not held (see `insights status`)")
