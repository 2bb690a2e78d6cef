"""The one notification step: what to alert about a finished run or stale data, sent once.

Both ways a refresh runs use it: the sensors under the Dagster daemon (sensors.py) and the
command line (`insights refresh`, `insights rebuild`, the demo), which has no daemon. Every
alert has a key (the run id, or the stale as-of); the first sender creates
`$INSIGHTS_HOME/state/alerts-sent/<key>` with O_EXCL and sends, any later one (the sensor
seeing a run the command line already reported, a second sensor tick) skips it. So a failure
alerts once, whoever started the run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import dagster as dg

from pipelines.alerts.notifiers import Alert, notify
from pipelines.failures import chain_of_error_info, describe
from pipelines.read_model.queries import data_as_of_in
from pipelines.settings import Settings


def claim(settings: Settings, key: str) -> bool:
    """True for the first caller with this key, on this INSIGHTS_HOME."""
    folder = settings.state_dir / "alerts-sent"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(folder / key, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


def failed_checks_of_run(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    failed = []
    for record in events:
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                          f"({evaluation.severity.value})")
    return failed


def failed_steps_of_run(instance: dg.DagsterInstance, run_id: str,
                        settings: Settings) -> list[str]:
    lines = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        error = event.step_failure_data.error if event.step_failure_data else None
        cause = describe(chain_of_error_info(error), settings.home) if error else "failed"
        lines.append(f"{event.step_key}: {cause}")
    return lines


def run_alert(instance: dg.DagsterInstance, run_id: str, settings: Settings) -> Alert | None:
    """A failed run, or a successful one with failed checks; None when all is well."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return None
    checks = failed_checks_of_run(instance, run_id)
    if run.status == dg.DagsterRunStatus.FAILURE:
        steps = failed_steps_of_run(instance, run_id, settings)
        return Alert("run_failed", f"Run {run_id[:8]} of {run.job_name} failed",
                     [*(steps or ["the run failed"]), *checks])
    if run.status == dg.DagsterRunStatus.SUCCESS and checks:
        return Alert("check_failed", f"{len(checks)} check(s) failed in run {run_id[:8]} of "
                     f"{run.job_name}", checks)
    return None


def alert_for_run(settings: Settings, instance: dg.DagsterInstance, run_id: str) -> bool:
    """Send the run's alert unless it was sent already; True when this call sent it."""
    alert = run_alert(instance, run_id, settings)
    if alert is None or not claim(settings, f"run-{run_id}"):
        return False
    notify(settings, alert)
    return True


def alert_if_stale(settings: Settings, now: datetime | None = None) -> str:
    """Alert once per published as-of when the marts are older than allowed."""
    as_of = data_as_of_in(settings.serving_path)
    if as_of is None:
        return "nothing published yet"
    age = (now or datetime.now(UTC)) - as_of
    if age <= timedelta(minutes=settings.max_data_age_minutes):
        return f"data is {age} old"
    if not claim(settings, f"stale-{as_of:%Y%m%dT%H%M%S}"):
        return "already alerted for this as-of"
    notify(settings, Alert("stale_data", "The published marts are stale", [
        f"data as of {as_of.isoformat()} is {age} old "
        f"(maximum {settings.max_data_age_minutes} minutes)"]))
    return "alerted"
