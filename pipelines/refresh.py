"""One in-process run of every asset: what `insights refresh` and `insights demo` execute."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipelines.alerts.dispatch import alert_for_run, alert_if_stale
from pipelines.as_of import as_of_tags
from pipelines.assets.warehouse import warehouse_models
from pipelines.definitions import REFRESH_JOB_NAME, build_definitions
from pipelines.failures import chain_of_error_info, describe, skipped_steps
from pipelines.held_batches import HoldStore
from pipelines.progress import progress_logger_definition
from pipelines.quality_report import CheckLine, write_report
from pipelines.read_model.queries import data_as_of_in
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.run_history import record_run
from pipelines.status import record_refresh, serving_identity


@dataclass
class RefreshOutcome:
    success: bool
    seconds: float
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # blocking (ERROR) checks only
    warnings: list[str] = field(default_factory=list)  # WARN checks that failed
    checks: list[CheckLine] = field(default_factory=list)
    report_path: Path | None = None
    step_causes: dict[str, str] = field(default_factory=dict)  # failed step -> one-line cause
    skipped_steps: list[str] = field(default_factory=list)  # not run: a dependency failed
    published: bool = False  # the serving file was replaced by this run
    held: list = field(default_factory=list)  # batches the gate refused in this run

    @property
    def checks_passed(self) -> int:
        return sum(check.passed for check in self.checks)
    metadata: dict[str, dict] = field(default_factory=dict)  # asset key -> metadata values

    @property
    def ok(self) -> bool:
        return self.success and not self.failed_checks


def run_refresh(
    settings: InsightsSettings,
    api: ClientSpacesApi,
    stream=None,
    *,
    job_name: str = REFRESH_JOB_NAME,
    tags: dict[str, str] | None = None,
) -> RefreshOutcome:
    config = settings.get()
    started = time.monotonic()
    started_at = datetime.now(UTC)
    run_tags = {**as_of_tags(config.as_of), **(tags or {})}  # the as-of: its start or the setting
    defs = build_definitions(settings=settings, api=api)
    job = defs.resolve_job_def(job_name).with_logger_defs(
        {"progress": progress_logger_definition(stream or sys.stderr, config.home)}
    )
    before = serving_identity(config.serving_path)
    # In memory while it runs, then copied into DAGSTER_HOME's instance when set (one run
    # history with the daemon), else SQLite under INSIGHTS_HOME: see run_history.py.
    memory = dg.DagsterInstance.ephemeral()
    try:
        result = job.execute_in_process(
            instance=memory, raise_on_error=False, run_config={"loggers": {"progress": {}}},
            tags=run_tags,
        )
        skipped = skipped_steps(memory.all_logs(result.run_id))
        # The same notification step as the daemon's sensors, sent once per run.
        try:
            alert_for_run(config, memory, result.run_id)
            alert_if_stale(config)
        except OSError as error:  # e.g. a full disk: the run's own summary still follows
            print(f"warning: the alert could not be written: {error}", file=stream or sys.stderr)
        record_run(memory, result.run_id, config, warehouse_models.check_keys)
    finally:
        memory.dispose()
    outcome = RefreshOutcome(success=result.success, seconds=time.monotonic() - started,
                             skipped_steps=skipped)
    outcome.published = serving_identity(config.serving_path) != before
    outcome.held = [h for h in HoldStore(config.landing_dir).held() if h.held_at >= started_at]
    for event in result.all_events:
        if event.is_step_failure:
            outcome.failed_steps.append(event.step_key)
            error = event.step_failure_data.error
            outcome.step_causes[event.step_key] = (
                describe(chain_of_error_info(error), config.home) if error else "failed")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            outcome.checks.append(CheckLine(name, evaluation.passed, evaluation.severity.value,
                                            evaluation.description))
            if not evaluation.passed:
                if evaluation.severity == dg.AssetCheckSeverity.ERROR:
                    outcome.failed_checks.append(name)
                else:
                    outcome.warnings.append(name)
        elif event.is_step_materialization:
            materialization = event.event_specific_data.materialization
            outcome.metadata[materialization.asset_key.to_user_string()] = {
                key: value.value for key, value in materialization.metadata.items()
            }
    outcome.report_path = write_report(config.reports_dir, outcome,
                                       data_as_of_in(config.serving_path))
    record_refresh(config, job_name, started_at, outcome)
    return outcome
