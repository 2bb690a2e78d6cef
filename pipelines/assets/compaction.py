"""Landing compaction, the last step of the nightly reconciliation (and `insights compact`)."""

import dagster as dg

from pipelines.assets.reconciliation import source_drift
from pipelines.landing.compaction import compact_landing
from pipelines.resources.settings_resource import InsightsSettings


@dg.asset(
    key=["maintenance", "landing_compaction"],
    group_name="reconciliation",
    kinds={"python", "parquet"},
    # after the full re-read, which reads every space's files without the writer lock
    deps=[source_drift],
    description=(
        "Merges the small landing files of each folder (a space's documents, each list, the "
        "run records, the quarantine) into one file per month, rows unchanged, swapped in "
        "atomically under the writer lock (pipelines/landing/compaction.py)."
    ),
)
def landing_compaction(
    context: dg.AssetExecutionContext, settings: dg.ResourceParam[InsightsSettings]
) -> dg.MaterializeResult:
    config = settings.get()
    report = compact_landing(config.landing_dir, config.state_dir, progress=context.log.info)
    context.log.info(report.summary())
    for folder, reason in report.skipped.items():
        context.log.warning(f"{folder} left as it is: {reason}")
    return dg.MaterializeResult(metadata={
        "folders": report.folders,
        "folders_compacted": report.folders_compacted,
        "files_before": report.files_before,
        "files_after": report.files_after,
        "rows_merged": report.rows_merged,
        "skipped": dg.MetadataValue.json(report.skipped),
    })
