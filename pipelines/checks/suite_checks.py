"""Dagster asset checks that run the Great Expectations suites and the volume bound.

Landed batches: each landing asset's newest batch is validated against its suite (documents
in one validation over every space's new rows, `space_id` a column, failures then broken down
per space); the full-snapshot lists also against the volume of recent batches. Marts: the
mart suites run on the warehouse tables right after dbt builds them, before the publish.
All are blocking with ERROR severity: a broken invariant stops the publish and the last good
marts stay in place. Each failed expectation and its counts go into the
check's metadata.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.checks.gx_suites import SuiteOutcome, validate_frame
from pipelines.checks.volume import recent_fetched_counts, volume_check
from pipelines.held_batches import hold_refused_batch
from pipelines.landing.zone import LandingZone
from pipelines.read_model.queries import whole_mart
from pipelines.resources.settings_resource import InsightsSettings

# received_at may run ahead of our clock by this much (the source's clock is not ours).
CLOCK_SKEW = timedelta(minutes=15)
VOLUME_MAX_RATIO = 3.0


def newest_batch(landing_dir: Path, entity: str) -> dict | None:
    records = LandingZone(landing_dir).batch_records(entity)
    return records.row(-1, named=True) if records.height else None




def suites_result(outcomes: list[SuiteOutcome], **metadata) -> dg.AssetCheckResult:
    failed = [dict(f.to_dict(), suite=o.suite) for o in outcomes for f in o.failed]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "validations": len(outcomes),
            "expectations_evaluated": sum(o.evaluated for o in outcomes),
            "failed_expectations": dg.MetadataValue.json(failed[:50]),
            **metadata,
        },
        description=(f"{len(failed)} expectation(s) failed: "
                     + "; ".join(sorted({f["expectation"] for f in failed}))) if failed else None,
    )


def _landed_suite_check(entity: str):
    @dg.asset_check(asset=["landing", entity], name="landed_batch_expectations", blocking=True,
                    description=f"The newest landed {entity} batch passes expectations/"
                                f"landed_{entity}.json.")
    def _check(settings: dg.ResourceParam[InsightsSettings]) -> dg.AssetCheckResult:
        landing_dir = settings.get().landing_dir
        batch = newest_batch(landing_dir, entity)
        if batch is None:
            return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                       description=f"no {entity} batch has landed")
        parameters = ({"max_received_at": datetime.now(UTC) + CLOCK_SKEW}
                      if entity == "documents" else None)
        frames = LandingZone(landing_dir).batch_frames(entity, batch["batch_id"])
        if entity == "documents":
            result = documents_result(frames, parameters, batch["batch_id"])
        else:
            outcomes = [validate_frame(f"landed_{entity}", frame, parameters) for frame in frames]
            result = suites_result(outcomes, batch_id=batch["batch_id"])
        _hold_if_refused(settings, entity, batch["batch_id"], "landed_batch_expectations", result)
        return result

    return _check


def documents_result(frames: list[pl.DataFrame], parameters: dict,
                     batch_id: str) -> dg.AssetCheckResult:
    """One validation over the run's new document rows (a fixed cost per run, not per space);
    only when it fails is each space validated alone, to say which spaces are at fault."""
    # Frames of one layout are validated together; a file written with other columns or types
    # (not by the landing) is validated on its own, so its columns are judged as written.
    layouts: dict[tuple, list[pl.DataFrame]] = {}
    for frame in frames:
        layouts.setdefault(tuple(frame.schema.items()), []).append(frame)
    outcomes, per_space, rows = [], {}, 0
    for group in layouts.values():
        frame = pl.concat(group)
        rows += frame.height
        outcome = validate_frame("landed_documents", frame, parameters)
        outcomes.append(outcome)
        if not outcome.success and "space_id" in frame.columns:
            for (space_id,), part in frame.partition_by("space_id", as_dict=True).items():
                failed = validate_frame("landed_documents", part, parameters).failed_names()
                if failed:
                    per_space.setdefault(str(space_id), []).extend(failed)
    return suites_result(outcomes, batch_id=batch_id, rows=rows,
                         failed_spaces=dg.MetadataValue.json(per_space))


def _volume_check(entity: str):
    @dg.asset_check(asset=["landing", entity], name="volume_within_bounds", blocking=True,
                    description=f"The {entity} count is within {VOLUME_MAX_RATIO}x of the median "
                                "of recent batches (a sudden drop or spike stops the publish).")
    def _check(settings: dg.ResourceParam[InsightsSettings]) -> dg.AssetCheckResult:
        landing_dir = settings.get().landing_dir
        batch = newest_batch(landing_dir, entity)
        if batch is None:
            return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                       description=f"no {entity} batch has landed")
        history = recent_fetched_counts(landing_dir, entity, before=batch["batch_id"])
        outcome = volume_check(history, int(batch["fetched"]), max_ratio=VOLUME_MAX_RATIO)
        result = dg.AssetCheckResult(
            passed=outcome.passed, severity=dg.AssetCheckSeverity.ERROR,
            metadata={"current": outcome.current, "median": outcome.median,
                      "ratio": outcome.ratio, "history": dg.MetadataValue.json(history),
                      "batch_id": batch["batch_id"]},
            description=outcome.reason,
        )
        _hold_if_refused(settings, entity, batch["batch_id"], "volume_within_bounds", result)
        return result

    return _check


def _hold_if_refused(settings: InsightsSettings, entity: str, batch_id: str, check: str,
                     result: dg.AssetCheckResult) -> None:
    """A failed blocking check holds the batch it refused (pipelines/held_batches.py)."""
    if not result.passed:
        config = settings.get()
        with config.writing():
            hold_refused_batch(config.landing_dir, entity, batch_id, check, result.description)


MART_SUITES = ("mart_client_overview", "mart_vat_period_progress", "fct_client_category_daily")


def _mart_suite_check(mart: str):
    @dg.asset_check(asset=["marts", mart], name="mart_expectations", blocking=True,
                    description=f"The built {mart} passes expectations/{mart}.json.")
    def _check(settings: dg.ResourceParam[InsightsSettings]) -> dg.AssetCheckResult:
        config = settings.get()
        # another run's dbt build may hold the warehouse file for writing: take turns with it
        with config.writing():
            frame = whole_mart(config.warehouse_path, mart)
        return suites_result([validate_frame(mart, frame)], rows=frame.height)

    return _check


SUITE_CHECKS = [
    *[_landed_suite_check(e) for e in ("spaces", "users", "assignments", "documents")],
    *[_volume_check(e) for e in ("spaces", "users", "assignments")],
    *[_mart_suite_check(m) for m in MART_SUITES],
]
