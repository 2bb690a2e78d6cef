"""One in-process run of every asset: what `insights refresh` and `insights demo` execute."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipelines.assets.warehouse import AS_OF_TAG
from pipelines.checks.freshness import serving_data_as_of
from pipelines.definitions import REFRESH_JOB_NAME, build_definitions
from pipelines.progress import progress_logger_definition
from pipelines.quality_report import CheckLine, write_report
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.run_instance import open_instance


@dataclass
class RefreshOutcome:
    success: bool
    seconds: float
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # blocking (ERROR) checks only
    warnings: list[str] = field(default_factory=list)  # WARN checks that failed
    checks: list[CheckLine] = field(default_factory=list)
    report_path: Path | None = None

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
    # The as-of of a refresh is its start, unless INSIGHTS_AS_OF fixes it (see warehouse.py).
    as_of = datetime.now(UTC).isoformat(timespec="seconds")
    defs = build_definitions(settings=settings, api=api)
    instance = open_instance(config)  # DAGSTER_HOME's when set: one run history with the daemon
    job = defs.resolve_job_def(job_name).with_logger_defs(
        {"progress": progress_logger_definition(stream or sys.stderr)}
    )
    try:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}},
            tags={AS_OF_TAG: as_of, **(tags or {})},
        )
    finally:
        instance.dispose()  # close its SQLite storage now, not at interpreter exit
    outcome = RefreshOutcome(success=result.success, seconds=time.monotonic() - started)
    for event in result.all_events:
        if event.is_step_failure:
            outcome.failed_steps.append(event.step_key)
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
                                       serving_data_as_of(config.serving_path))
    return outcome
