"""Freshness: how old the landed data and the published marts are, against a maximum age.

The age of data is measured from what the data says (the newest successful extraction, the
marts' data_as_of), not from when a run last happened to finish.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from pipelines.landing.zone import LandingZone
from pipelines.read_model.queries import data_as_of_in
from pipelines.resources.settings_resource import InsightsSettings


def newest_extraction(landing_dir: Path) -> datetime | None:
    # A batch with some failed spaces still refreshed the others: it counts as fresh data
    # (the failed spaces are reported by every_space_read).
    return LandingZone(landing_dir).batch_records("documents")["extracted_at"].max()


def freshness_result(what: str, newest: datetime | None, max_age: timedelta,
                     now: datetime | None = None) -> dg.AssetCheckResult:
    now = now or datetime.now(UTC)
    if newest is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   description=f"no {what} yet")
    age = now - newest
    return dg.AssetCheckResult(
        passed=age <= max_age,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"newest": newest.isoformat(), "age_minutes": round(age.total_seconds() / 60, 1),
                  "max_age_minutes": max_age.total_seconds() / 60},
        description=f"{what} is {age} old (maximum {max_age})",
    )


@dg.asset_check(asset=["landing", "documents"], name="landing_is_fresh",
                description="The newest extraction is within INSIGHTS_MAX_DATA_AGE_MINUTES.")
def landing_is_fresh(settings: dg.ResourceParam[InsightsSettings]) -> dg.AssetCheckResult:
    config = settings.get()
    return freshness_result("landed data", newest_extraction(config.landing_dir),
                            timedelta(minutes=config.max_data_age_minutes))


@dg.asset_check(asset=["serving", "insights_duckdb"], name="marts_are_fresh",
                description="The published data_as_of is within INSIGHTS_MAX_DATA_AGE_MINUTES.")
def marts_are_fresh(settings: dg.ResourceParam[InsightsSettings]) -> dg.AssetCheckResult:
    config = settings.get()
    return freshness_result("published data", data_as_of_in(config.serving_path),
                            timedelta(minutes=config.max_data_age_minutes))


FRESHNESS_CHECKS = [landing_is_fresh, marts_are_fresh]
