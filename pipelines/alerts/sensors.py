"""Sensors that turn failed runs, failed checks and stale data into alerts."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from pipelines.alerts.notifiers import Alert, notify
from pipelines.checks.freshness import serving_data_as_of
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import load_settings


def failed_checks_of_run(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    failed = []
    for record in events:
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                          f"({evaluation.severity.value})")
    return failed


@dg.run_failure_sensor(name="alert_on_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Alerts when a run fails, naming the error and failed checks.")
def alert_on_failed_runs(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    error = context.failure_event.message or "the run failed"
    details = [error, *failed_checks_of_run(context.instance, run.run_id)]
    notify(load_settings(), Alert("run_failed", f"Run {run.run_id[:8]} of {run.job_name} failed",
                                  details))


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="alert_on_failed_checks",
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="Alerts when a successful run still had failed checks.")
def alert_on_failed_checks(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    failed = failed_checks_of_run(context.instance, run.run_id)
    if failed:
        notify(load_settings(), Alert(
            "check_failed", f"{len(failed)} check(s) failed in run {run.run_id[:8]} of "
            f"{run.job_name}", failed))


@dg.sensor(name="alert_on_stale_data", minimum_interval_seconds=900,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Alerts once per published as-of when the marts grow older than allowed.")
def alert_on_stale_data(
    context: dg.SensorEvaluationContext, settings: dg.ResourceParam[InsightsSettings]
):
    config = settings.get()
    as_of = serving_data_as_of(config.serving_path)
    if as_of is None or context.cursor == as_of.isoformat():
        return dg.SkipReason("nothing published yet, or already alerted for this as-of")
    age = datetime.now(UTC) - as_of
    if age <= timedelta(minutes=config.max_data_age_minutes):
        return dg.SkipReason(f"data is {age} old")
    notify(config, Alert("stale_data", "The published marts are stale", [
        f"data as of {as_of.isoformat()} is {age} old "
        f"(maximum {config.max_data_age_minutes} minutes)"]))
    context.update_cursor(as_of.isoformat())
    return dg.SkipReason("alerted")


SENSORS = [alert_on_failed_runs, alert_on_failed_checks, alert_on_stale_data]
