"""Jobs and schedules for data teams: frequent incremental refreshes and a nightly reconciliation.

Cron expressions come from INSIGHTS_REFRESH_CRON (default every 30 minutes on working days)
and INSIGHTS_RECONCILE_CRON (default 02:15 every night), in the firm's time zone.
"""

from __future__ import annotations

import dagster as dg

from pipelines.as_of import as_of_tags
from pipelines.digest.job import deadline_risk_digest_job
from pipelines.settings import load_schedule_settings, load_settings

REFRESH_JOB_NAME = "refresh"
EXTRACT_JOB_NAME = "extract"
RECONCILE_JOB_NAME = "nightly_reconciliation"
REBUILD_JOB_NAME = "rebuild_from_landing"
WRITER_TAG = {"insights/writer": "warehouse"}  # dagster.yaml limits runs with it to one

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reconciliation"),
    description="Extract (incremental), land, transform, check and publish: `insights refresh`.",
    tags=WRITER_TAG,
)

extract_job = dg.define_asset_job(
    EXTRACT_JOB_NAME,
    selection=dg.AssetSelection.groups("landing"),
    description="Extract and land only (incremental); the models are built by a later refresh.",
    tags=WRITER_TAG,
)

rebuild_job = dg.define_asset_job(
    REBUILD_JOB_NAME,
    selection=dg.AssetSelection.groups("seeds", "staging", "intermediate", "marts", "serving"),
    description="Rebuild the models and the serving database from the landing zone, no extraction.",
    tags=WRITER_TAG,
)

reconcile_job = dg.define_asset_job(
    RECONCILE_JOB_NAME,
    selection=dg.AssetSelection.groups("reconciliation"),
    description="Re-read every active space in full and report drift against the landing zone, "
                "then compact the landing zone.",
    tags=WRITER_TAG,
)


def run_as_of_tags(_context=None) -> dict[str, str]:
    """Every requested run carries its as-of (INSIGHTS_AS_OF, else the moment of the request)."""
    return as_of_tags(load_settings().as_of)


def build_schedules() -> list[dg.ScheduleDefinition]:
    settings = load_schedule_settings()
    return [
        dg.ScheduleDefinition(
            name="incremental_refresh", job=refresh_job, cron_schedule=settings.refresh_cron,
            execution_timezone=settings.timezone, tags_fn=run_as_of_tags,
            description="Frequent incremental refreshes (INSIGHTS_REFRESH_CRON).",
        ),
        dg.ScheduleDefinition(
            name="nightly_reconciliation", job=reconcile_job,
            cron_schedule=settings.reconcile_cron, execution_timezone=settings.timezone,
            tags_fn=run_as_of_tags,
            description="Full re-read of every space, drift report, landing compaction "
                        "(INSIGHTS_RECONCILE_CRON).",
        ),
        dg.ScheduleDefinition(
            name="daily_deadline_risk_digest", job=deadline_risk_digest_job,
            cron_schedule=settings.digest_cron, execution_timezone=settings.timezone,
            tags_fn=run_as_of_tags,
            description="Each member's clients at deadline risk (INSIGHTS_DIGEST_CRON).",
        ),
    ]


JOBS = [refresh_job, extract_job, rebuild_job, reconcile_job, deadline_risk_digest_job]
