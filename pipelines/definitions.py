"""The one assembly point of the Dagster code location (`dagster dev` loads this module).

Only the schedule settings (cron expressions, time zone, INSIGHTS_AUTOMATION) are read when
the definitions load; everything else, credentials included, loads on first use inside a run,
so the definitions load on a machine with no credentials at all.
"""

from __future__ import annotations

import dagster as dg

from pipelines.alerts.sensors import SENSORS
from pipelines.assets.compaction import landing_compaction
from pipelines.assets.landing import LANDING_ASSETS
from pipelines.assets.publish import serving_duckdb, serving_postgres
from pipelines.assets.reconciliation import source_drift
from pipelines.assets.warehouse import warehouse_models
from pipelines.automation import apply_automation_default
from pipelines.checks.freshness import FRESHNESS_CHECKS
from pipelines.checks.suite_checks import SUITE_CHECKS
from pipelines.live_sensor import build_live_sensor
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.schedules import JOBS, REFRESH_JOB_NAME, build_schedules

__all__ = ["REFRESH_JOB_NAME", "build_definitions", "defs"]


def build_definitions(
    settings: InsightsSettings | None = None,
    api: ClientSpacesApi | None = None,
) -> dg.Definitions:
    settings = settings or InsightsSettings()
    return apply_automation_default(dg.Definitions(
        assets=[*LANDING_ASSETS, warehouse_models, serving_duckdb, serving_postgres,
                source_drift, landing_compaction],
        asset_checks=[*FRESHNESS_CHECKS, *SUITE_CHECKS],
        jobs=JOBS,
        sensors=[*SENSORS, build_live_sensor()],
        schedules=build_schedules(),
        resources={"settings": settings, "api": api or ClientSpacesApi(settings)},
        # Every run in one process, as `insights refresh` runs it: the multiprocess default
        # starts a fresh interpreter per step (some twenty steps), each importing the code
        # location again, for no gain: the writing steps take turns on the writer lock.
        executor=dg.in_process_executor,
    ))


defs = build_definitions()
