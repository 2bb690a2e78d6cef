"""Alerts: failed runs, failed checks and stale data reach the log file and a webhook."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from pipelines.alerts.sensors import (
    alert_on_failed_checks,
    alert_on_failed_runs,
    alert_on_stale_data,
)
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.schedules import EXTRACT_JOB_NAME
from pipelines.settings import load_settings
from pipelines.simulator import FaultConfig, SimClock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings, write_serving_file


class Received(list):
    url = ""


@pytest.fixture
def receiver():
    """A local HTTP server that records every JSON body POSTed to it."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/secret"
    yield received.url, received
    server.shutdown()


@pytest.fixture
def alert_env(tmp_path, monkeypatch, receiver):
    url, received = receiver
    monkeypatch.setenv("INSIGHTS_HOME", str(tmp_path))
    monkeypatch.setenv("INSIGHTS_ALERT_WEBHOOK_URL", url)
    return tmp_path, received


def alert_env_url(received) -> str:
    return received.url


def _log_lines(home):
    path = home / "alerts.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_failed_run_is_alerted(alert_env):
    home, received = alert_env

    @dg.asset
    def broken():
        raise RuntimeError("the API is down")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([broken], instance=instance, raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_failed_runs", dagster_instance=instance,
        dagster_run=result.dagster_run, dagster_event=failure,
    ).for_run_failure()
    alert_on_failed_runs(context)
    assert [a["kind"] for a in _log_lines(home)] == ["run_failed"]
    assert len(received) == 1 and "failed" in received[0]["text"]


def test_failed_checks_of_a_successful_run_are_alerted(alert_env, small_world):
    home, received = alert_env
    readable = sorted(
        s["id"] for s in small_world.spaces_at(ANCHOR)
        if s["link_status"] == "ACTIVE" and small_world.space_accessible(s["id"], ANCHOR)
    )
    settings = make_settings(home, INSIGHTS_ALERT_WEBHOOK_URL=alert_env_url(received))
    api = SimulatedClientSpacesApi(settings, world=small_world, clock=SimClock(start=ANCHOR),
                                   faults=FaultConfig(failing_spaces=frozenset(readable[:1])),
                                   retry=FAST_RETRY)
    try:
        outcome = run_refresh(settings, api, job_name=EXTRACT_JOB_NAME)
    finally:
        api.close()
    assert outcome.warnings == ["landing/documents:every_space_read"]
    instance = dg.DagsterInstance.local_temp(tempdir=str(home / "dagster"))
    [run] = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.SUCCESS
    success = next(r.dagster_event for r in instance.all_logs(run.run_id)
                   if r.dagster_event and r.dagster_event.event_type_value == "PIPELINE_SUCCESS")
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_failed_checks", dagster_instance=instance, dagster_run=run,
        dagster_event=success,
    )
    # The refresh alerted itself (no daemon needed); the daemon's sensor, seeing the same
    # run, does not alert a second time.
    assert len(_log_lines(home)) == 1 and len(received) == 1
    alert_on_failed_checks(context)
    instance.dispose()
    [alert] = _log_lines(home)
    assert alert["kind"] == "check_failed"
    assert "landing/documents:every_space_read (WARN)" in alert["details"]
    assert len(received) == 1 and "every_space_read" in received[0]["text"]


def test_stale_marts_are_alerted_once_per_as_of(alert_env):
    home, received = alert_env
    write_serving_file(home, datetime.now(UTC) - timedelta(days=3))
    settings = InsightsSettings(load_settings())
    context = dg.build_sensor_context(resources={"settings": settings})
    alert_on_stale_data(context)
    assert [a["kind"] for a in _log_lines(home)] == ["stale_data"]
    again = dg.build_sensor_context(resources={"settings": settings}, cursor=context.cursor)
    alert_on_stale_data(again)
    assert len(_log_lines(home)) == 1, "the same stale as-of was alerted twice"
    assert len(received) == 1


def test_fresh_marts_raise_no_alert(alert_env):
    home, received = alert_env
    write_serving_file(home, datetime.now(UTC) - timedelta(minutes=5))
    context = dg.build_sensor_context(resources={"settings": InsightsSettings(load_settings())})
    alert_on_stale_data(context)
    assert _log_lines(home) == [] and received == []
