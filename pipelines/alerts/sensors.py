"""Sensors that turn failed runs, failed checks and stale data into alerts.

They decide nothing themselves: dispatch.py says what to alert and sends each alert once,
also for runs the command line started (and alerted) itself.
"""

import dagster as dg

from pipelines.alerts.dispatch import alert_for_run, alert_if_stale, failed_checks_of_run
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import load_settings

__all__ = ["SENSORS", "failed_checks_of_run"]


@dg.run_failure_sensor(name="alert_on_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Alerts when a run fails, naming the error and failed checks.")
def alert_on_failed_runs(context: dg.RunFailureSensorContext):
    alert_for_run(load_settings(), context.instance, context.dagster_run.run_id)


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="alert_on_failed_checks",
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="Alerts when a successful run still had failed checks.")
def alert_on_failed_checks(context: dg.RunStatusSensorContext):
    alert_for_run(load_settings(), context.instance, context.dagster_run.run_id)


@dg.sensor(name="alert_on_stale_data", minimum_interval_seconds=900,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Alerts once per published as-of when the marts grow older than allowed.")
def alert_on_stale_data(
    context: dg.SensorEvaluationContext, settings: dg.ResourceParam[InsightsSettings]
):
    return dg.SkipReason(alert_if_stale(settings.get()))


SENSORS = [alert_on_failed_runs, alert_on_failed_checks, alert_on_stale_data]
