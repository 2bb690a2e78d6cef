"""The nightly reconciliation: a full re-read of every active space, reported as drift."""

import json
from datetime import UTC, datetime

import dagster as dg

from pipelines.assets.landing import landing_documents, start_run
from pipelines.extraction.lists import active_space_ids, current_spaces
from pipelines.extraction.reconcile import space_drift
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings


@dg.asset(
    key=["reports", "source_drift"],
    group_name="reconciliation",
    kinds={"python"},
    deps=[landing_documents],
    description=(
        "Drift between the source and the landing zone: versions at or before a space's "
        "high-water mark that never landed (lost), versions not extracted yet, and landed "
        "documents the source no longer returns. Written to $INSIGHTS_HOME/reports/."
    ),
    check_specs=[dg.AssetCheckSpec("no_lost_versions", asset=["reports", "source_drift"],
                                   description="Every source version up to the mark is landed.")],
)
def source_drift(
    context: dg.AssetExecutionContext,
    settings: dg.ResourceParam[InsightsSettings],
    api: dg.ResourceParam[ClientSpacesApi],
) -> dg.MaterializeResult:
    # the schema files under the writer lock; the full re-read then reads without it
    with settings.get().writing(on_wait=context.log.info):
        run = start_run(context, settings)
    active = active_space_ids(current_spaces(run.zone))
    with api.client() as client:
        drifts = [space_drift(client, run, space_id) for space_id in active]
    lost = {d.space_id: d.lost_versions for d in drifts if d.lost_versions}
    gone = {d.space_id: d.missing_from_source for d in drifts if d.missing_from_source}
    report = {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "spaces": len(drifts),
        "source_documents": sum(d.source_documents for d in drifts),
        "lost_versions": sum(len(v) for v in lost.values()),
        "not_yet_extracted": sum(d.not_yet_extracted for d in drifts),
        "missing_from_source": sum(len(v) for v in gone.values()),
        "unreadable_spaces": {d.space_id: d.status for d in drifts if d.status != "ok"},
        "lost_by_space": lost,
        "missing_from_source_by_space": gone,
    }
    path = settings.get().reports_dir / f"source-drift-{run.batch_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    summary = {k: v for k, v in report.items() if not k.endswith("_by_space")}
    context.log.info(f"drift report {path}: {summary}")
    return dg.MaterializeResult(
        metadata={
            **summary,
            "unreadable_spaces": dg.MetadataValue.json(summary["unreadable_spaces"]),
            "report": dg.MetadataValue.path(str(path)),
        },
        check_results=[dg.AssetCheckResult(
            check_name="no_lost_versions", passed=not lost,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"lost_versions": report["lost_versions"],
                      "spaces": dg.MetadataValue.json(sorted(lost))},
            description="Re-extract a space with `insights reextract --space <id>`.",
        )],
    )
