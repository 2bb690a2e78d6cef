"""The deployment of docs/deployment.md, for real: PostgreSQL storage, a code server, the daemon
and the webserver as processes, the refresh schedule every minute, the simulator as the source.

`insights refresh` runs first into the same instance; then the daemon's scheduled refresh
publishes, a day of changes at the simulator reaches the serving database through a later tick,
and the runs, their materializations and check results are read back from PostgreSQL and from
the webserver's GraphQL API (what the UI shows). Run by `make test-daemon` (and CI).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import polars as pl
import psycopg
import pytest

from pipelines.simulator import SimClock, WorldConfig, build_world
from tests.conftest import running_simulator
from tests.daemon.support import VENV_BIN, environment_without_venv, running_services, wait_for
from tests.postgres_server import local_postgres, running_server

pytestmark = [pytest.mark.daemon, pytest.mark.timeout(3000)]

ROOT = Path(__file__).resolve().parents[2]
# A refresh of this firm takes ~90 s on an idle 2-CPU machine; the machine may be shared.
REFRESH_WAIT = 900
SCHEDULE_TAG = "dagster/schedule_name"
RESULTS = ROOT / "test-artifacts" / "daemon_schedule.json"


def _serving(home: Path) -> tuple[dict[str, str], datetime]:
    with duckdb.connect(str(home / "serving" / "insights.duckdb"), read_only=True) as con:
        rows = con.execute("select document_id, accounting_status::varchar "
                           "from marts.fct_documents").fetchall()
        [(as_of,)] = con.execute(
            "select max(data_as_of) from marts.mart_client_overview").fetchall()
    return dict(rows), as_of


def _changed_between(world, before: datetime, after: datetime) -> dict[str, str]:
    """Live documents whose latest version at `after` is not the one at `before`: status."""
    columns = ["document_id", "updated_at", "accounting_status"]
    old = world.current_documents(before).select(columns)
    new = world.current_documents(after).filter(pl.col("deleted_at").is_null()).select(columns)
    changed = new.join(old, on="document_id", how="left", suffix="_before").filter(
        pl.col("updated_at_before").is_null()
        | (pl.col("updated_at") != pl.col("updated_at_before")))
    return dict(zip(changed["document_id"], changed["accounting_status"].cast(pl.String),
                    strict=True))


def _scheduled_runs(instance: dg.DagsterInstance, after: float = 0.0) -> list[dg.RunRecord]:
    records = instance.get_run_records(dg.RunsFilter(job_name="refresh",
                                                     tags={SCHEDULE_TAG: "incremental_refresh"}))
    return [r for r in records if (r.start_time or 0) > after]


def _succeeded(instance: dg.DagsterInstance, after: float = 0.0) -> dg.RunRecord | None:
    records = _scheduled_runs(instance, after)
    for record in records:
        if record.dagster_run.status == dg.DagsterRunStatus.FAILURE:
            failures = instance.all_logs(record.dagster_run.run_id,
                                         of_type=dg.DagsterEventType.STEP_FAILURE)
            errors = [e.dagster_event.step_failure_data.error for e in failures]
            raise AssertionError(f"scheduled run {record.dagster_run.run_id} failed: " + "\n".join(
                f"{e.step_key}: {error.to_string()[-2000:] if error else e.message}"
                for e, error in zip(failures, errors, strict=True)))
    done = [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.SUCCESS]
    return min(done, key=lambda r: r.start_time) if done else None


def _postgres_history(dsn: str, run_id: str) -> dict[str, object]:
    with psycopg.connect(dsn) as con:
        [(status,)] = con.execute("select status from runs where run_id = %s", [run_id]).fetchall()
        events = dict(con.execute(
            "select dagster_event_type, count(*) from event_logs where run_id = %s "
            "group by dagster_event_type", [run_id]).fetchall())
        materialized = {row[0] for row in con.execute(
            "select asset_key from event_logs where run_id = %s "
            "and dagster_event_type = 'ASSET_MATERIALIZATION'", [run_id])}
        checks = dict(con.execute(
            "select execution_status, count(*) from asset_check_executions where run_id = %s "
            "group by execution_status", [run_id]).fetchall())
    return {"status": status, "events": events, "materialized": materialized, "checks": checks}


def _ui_runs(port: int) -> dict[str, dict]:
    query = ("{ runsOrError { ... on Runs { results { runId jobName status "
             "tags { key value } } } } }")
    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=60)
    answer.raise_for_status()
    return {r["runId"]: r for r in answer.json()["data"]["runsOrError"]["results"]}


def _webserver_up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_daemon_runs_the_refresh_schedule_on_postgres_storage(tmp_path, monkeypatch):
    now = datetime.now(UTC).replace(microsecond=0)
    world = build_world(WorldConfig(seed=17, clients=12, history_days=90,
                                    documents_per_client_month=30))
    first_read = now - timedelta(days=1)
    clock = SimClock(start=first_read)
    home, dagster_home = tmp_path / "home", tmp_path / "dagster-home"
    dagster_home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    code_port, web_port = local_postgres.free_port(), local_postgres.free_port()

    with running_server() as postgres, running_simulator(world, clock=clock) as source:
        with postgres.admin() as admin:
            admin.execute("create role dagster login")
            admin.execute("create database dagster owner dagster")
        storage_url = local_postgres.dsn(postgres.port, user="dagster", database="dagster")
        storage = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(postgres.port),
                   "DAGSTER_PG_DB": "dagster", "DAGSTER_PG_USER": "dagster",
                   "DAGSTER_PG_PASSWORD": ""}  # the throwaway server trusts loopback
        env = environment_without_venv(
            DAGSTER_HOME=str(dagster_home), **storage,
            INSIGHTS_CODE_SERVER_PORT=str(code_port), INSIGHTS_HOME=str(home),
            INSIGHTS_API_URL=source.url, INSIGHTS_API_CLIENT_ID=source.client_id,
            INSIGHTS_API_CLIENT_SECRET=source.client_secret,
            INSIGHTS_REFRESH_CRON="* * * * *",  # the schedule's own setting: every minute
            INSIGHTS_RECONCILE_CRON="0 0 1 1 *",  # not during the test
        )
        for variable, value in storage.items():
            monkeypatch.setenv(variable, value)
        instance = dg.DagsterInstance.from_config(str(dagster_home))

        # 1. A manual refresh, into the deployment's instance (DAGSTER_HOME).
        manual = subprocess.run([str(VENV_BIN / "insights"), "refresh"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=REFRESH_WAIT)
        assert manual.returncode == 0, manual.stdout[-3000:] + manual.stderr[-3000:]
        [manual_run] = instance.get_runs(dg.RunsFilter(job_name="refresh"))
        assert SCHEDULE_TAG not in manual_run.tags
        statuses_before, manual_as_of = _serving(home)

        workspace = str(ROOT / "deploy" / "workspace.yaml")
        commands = {
            "code-server": [str(VENV_BIN / "dagster"), "code-server", "start",
                            "--module-name", "pipelines.definitions", "--attribute", "defs",
                            "--location-name", "client_insights",
                            "--host", "127.0.0.1", "--port", str(code_port)],
            "daemon": [str(VENV_BIN / "dagster-daemon"), "run", "--workspace", workspace],
            "webserver": [str(VENV_BIN / "dagster-webserver"), "--host", "127.0.0.1",
                          "--port", str(web_port), "--workspace", workspace],
        }
        with running_services(commands, env, tmp_path, tmp_path / "logs") as services:
            # 2. No one starts the schedule: it runs by default and fires within a minute.
            first = wait_for("a successful scheduled refresh",
                             lambda: _succeeded(instance), timeout=REFRESH_WAIT + 300,
                             services=services)
            statuses_first, first_as_of = _serving(home)
            assert first_as_of > manual_as_of  # the scheduled run published

            # 3. A day of work at the source; a run started after it publishes it.
            changed_at = time.time()
            second_read = datetime.now(UTC) - timedelta(minutes=5)
            clock.advance(second_read - clock.now())
            changed = _changed_between(world, first_read, second_read)
            second = wait_for("a successful scheduled refresh after the change",
                              lambda: _succeeded(instance, after=changed_at),
                              timeout=REFRESH_WAIT + 300, services=services)
            statuses_after, second_as_of = _serving(home)
            assert second_as_of > first_as_of
            published = {d: s for d, s in changed.items() if d in statuses_after}
            assert published, "none of the changed documents reached the serving database"
            assert {d: statuses_after[d] for d in published} == published
            assert any(statuses_first.get(d) != s for d, s in published.items())

            # 4. What the UI shows: manual and scheduled runs side by side.
            wait_for("the webserver", lambda: _webserver_up(web_port), timeout=300,
                     services=services)
            ui = _ui_runs(web_port)

        # 5. The run history is PostgreSQL's: runs, materializations, check results.
        history = {r.dagster_run.run_id: _postgres_history(storage_url, r.dagster_run.run_id)
                   for r in (first, second)}
        instance.dispose()

    for record in (first, second):
        run_id = record.dagster_run.run_id
        assert ui[run_id]["status"] == "SUCCESS"
        assert {"key": SCHEDULE_TAG, "value": "incremental_refresh"} in ui[run_id]["tags"]
        stored = history[run_id]
        assert stored["status"] == "SUCCESS"
        assert '["serving", "insights_duckdb"]' in stored["materialized"]
        assert stored["events"].get("ASSET_MATERIALIZATION", 0) >= 10
        assert stored["events"].get("ASSET_CHECK_EVALUATION", 0) >= 10
        assert stored["checks"].get("SUCCEEDED", 0) >= 10
    assert ui[manual_run.run_id]["status"] == "SUCCESS"
    assert not any(t["key"] == SCHEDULE_TAG for t in ui[manual_run.run_id]["tags"])

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "manual_run": manual_run.run_id,
        "scheduled_runs": [{"run_id": r.dagster_run.run_id,
                            "seconds": round(r.end_time - r.start_time, 1),
                            "events": history[r.dagster_run.run_id]["events"],
                            "checks": history[r.dagster_run.run_id]["checks"]}
                           for r in (first, second)],
        "changed_documents_published": len(published),
        "runs_in_ui": len(ui),
    }, indent=2) + "\n")
