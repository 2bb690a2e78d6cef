"""The run history of in-process refreshes, kept in the instance of run_instance.py.

A refresh executes on an in-memory Dagster instance: the SQLite instance opens a new database
connection and commits for every event, and a refresh emits some 750 of them (an output and a
check evaluation per dbt test, their planned events...), which cost several times dbt's own run
time. Afterwards the run and the events a person or an alert looks back at are copied into the
persistent instance (DAGSTER_HOME's, or SQLite under $INSIGHTS_HOME/dagster) in one go: the
run with its final status, run and step starts, successes and failures, materializations, and
every check evaluation except the passing dbt tests (the quality report in
$INSIGHTS_HOME/reports lists all checks of every run).
"""

from __future__ import annotations

import dagster as dg

from pipelines.run_instance import open_instance
from pipelines.settings import Settings

_KEPT = {
    "PIPELINE_START", "PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED",
    "STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "ASSET_MATERIALIZATION",
    "ASSET_CHECK_EVALUATION",
}


def _kept(entry, dbt_check_keys: set) -> bool:
    event = entry.dagster_event
    if event is None or event.event_type_value not in _KEPT:
        return False
    if event.event_type_value == "ASSET_CHECK_EVALUATION":
        evaluation = event.event_specific_data
        key = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
        return not (evaluation.passed and key in dbt_check_keys)
    return True


def record_run(memory: dg.DagsterInstance, run_id: str, config: Settings,
               dbt_check_keys: set) -> None:
    """Copy one finished run from the in-memory instance into the persistent one."""
    history = open_instance(config)
    try:
        run = memory.get_run_by_id(run_id)
        # The run refers to its job and plan by snapshot id: copy them first (once per job).
        if run.job_snapshot_id and not history.has_job_snapshot(run.job_snapshot_id):
            history.add_snapshot(memory.get_job_snapshot(run.job_snapshot_id))
        if run.execution_plan_snapshot_id and not history.has_snapshot(
                run.execution_plan_snapshot_id):
            history.add_snapshot(memory.get_execution_plan_snapshot(run.execution_plan_snapshot_id))
        history.add_run(run)
        for entry in memory.all_logs(run_id):
            if _kept(entry, dbt_check_keys):
                history.store_event(entry)
    finally:
        history.dispose()  # close its SQLite storage now, not at interpreter exit
