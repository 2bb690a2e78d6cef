"""Dagster assets that extract the Client Spaces API into the Parquet landing zone.

Their keys (`landing/<entity>`) are the keys of the dbt sources over the same files, so the
lineage runs unbroken from the API to the marts.
"""


import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from pipelines.extraction.documents import ExtractionRun, SpaceOutcome, extract_documents
from pipelines.extraction.lists import ListOutcome, active_space_ids, current_spaces, extract_list
from pipelines.held_batches import HoldStore, hold_refused_batch
from pipelines.landing.marks import MarkStore
from pipelines.landing.zone import LandingZone
from pipelines.resources.api_client import ApiUnreachable, AuthenticationError
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import SettingsError

LANDING_GROUP = "landing"

# An API outage outlasting the client's own per-request retries is retried by Dagster, with
# exponential backoff and jitter. Only extraction is retried: a failed dbt test or a broken
# invariant will not pass by waiting. Bad credentials or settings are never retried.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def _not_retried(error: Exception) -> dg.Failure:
    return dg.Failure(description=str(error), allow_retries=False)


def start_run(context: dg.AssetExecutionContext, settings: InsightsSettings) -> ExtractionRun:
    config = settings.get()
    now = datetime.now(UTC)
    zone = LandingZone(config.landing_dir, config.state_dir)
    zone.ensure_layout()  # the caller holds the writer lock
    holds = HoldStore(config.landing_dir).held()
    return ExtractionRun(
        zone=zone,
        marks=MarkStore(config.state_dir),
        # One batch id per run and step, sortable by time, traceable to the Dagster run.
        batch_id=f"{now:%Y%m%dT%H%M%S}Z-{context.run.run_id[:8]}",
        extracted_at=now,
        lookback=timedelta(minutes=config.lookback_minutes),
        held={entity: frozenset(h.batch_id for h in holds if h.entity == entity)
              for entity in {h.entity for h in holds}},
    )


def _top_reasons(reasons: dict[str, int], limit: int = 5) -> dict[str, int]:
    return dict(sorted(reasons.items(), key=lambda item: -item[1])[:limit])


def _list_asset(entity: str, description: str):
    @dg.asset(
        name=entity,
        key_prefix=[LANDING_GROUP],
        group_name=LANDING_GROUP,
        kinds={"python", "parquet"},
        description=description,
        retry_policy=TRANSIENT_RETRY,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        settings: dg.ResourceParam[InsightsSettings],
        api: dg.ResourceParam[ClientSpacesApi],
    ) -> dg.MaterializeResult:
        # every landing write, the schema files and the run record included, under the lock
        with settings.get().writing(on_wait=context.log.info):
            run = start_run(context, settings)
            try:
                with api.client(progress=context.log.info) as client:
                    outcome: ListOutcome = extract_list(client, run, entity)
            except (ApiUnreachable, AuthenticationError, SettingsError) as error:
                raise _not_retried(error) from error
            record = {
                "extracted_at": run.extracted_at, "status": "ok", "fetched": outcome.fetched,
                "landed": outcome.landed, "new_versions": outcome.new_versions,
                "quarantined": outcome.quarantined, "failures": "[]",
            }
            run.zone.record_batch(entity, run.batch_id, record)
        context.log.info(
            f"{entity}: fetched {outcome.fetched}, landed {outcome.landed} "
            f"({outcome.new_versions} new), quarantined {outcome.quarantined}"
        )
        return dg.MaterializeResult(metadata={
            "batch_id": run.batch_id,
            "fetched": outcome.fetched,
            "landed": outcome.landed,
            "new_versions": outcome.new_versions,
            "quarantined": outcome.quarantined,
            "duplicates_in_answer": outcome.duplicates,
            "quarantine_reasons": dg.MetadataValue.json(_top_reasons(outcome.reasons)),
            "dagster/row_count": outcome.new_versions,
        })

    return _asset


landing_spaces = _list_asset(
    "spaces", "Client spaces linked to the firm, every link status; new versions appended."
)
landing_users = _list_asset("users", "Team members of the firm; new versions appended.")
landing_assignments = _list_asset(
    "assignments", "Complete set of team member to client assignments, landed every run."
)


@dg.asset(
    name="documents",
    key_prefix=[LANDING_GROUP],
    group_name=LANDING_GROUP,
    kinds={"python", "parquet"},
    deps=[landing_spaces],
    retry_policy=TRANSIENT_RETRY,
    description=(
        "Document versions of every ACTIVE client space, extracted incrementally "
        "(high-water mark minus lookback) and de-duplicated on (document_id, updated_at)."
    ),
    check_specs=[
        # Not blocking: one failing space must not hold back every other client's figures.
        # Its data stays as of its last good read (its mark does not move) and it is alerted.
        dg.AssetCheckSpec("every_space_read", asset=["landing", "documents"],
                          description="No active space failed to extract in this run."),
        dg.AssetCheckSpec("quarantine_share", asset=["landing", "documents"], blocking=True,
                          description="A few quarantined records warn; a share above "
                                      "INSIGHTS_QUARANTINE_MAX_SHARE stops the publish."),
        dg.AssetCheckSpec("fetched_equals_landed_plus_quarantined",
                          asset=["landing", "documents"], blocking=True,
                          description="Every fetched record was landed or quarantined."),
    ],
)
def landing_documents(
    context: dg.AssetExecutionContext,
    settings: dg.ResourceParam[InsightsSettings],
    api: dg.ResourceParam[ClientSpacesApi],
) -> dg.MaterializeResult:
    try:
        with settings.get().writing(on_wait=context.log.info):
            return _extract_documents(context, settings, api)
    except (ApiUnreachable, AuthenticationError, SettingsError) as error:
        raise _not_retried(error) from error


def _extract_documents(
    context: dg.AssetExecutionContext, settings: InsightsSettings, api: ClientSpacesApi
) -> dg.MaterializeResult:
    run = start_run(context, settings)
    removed = run.zone.remove_partials()
    if removed:
        context.log.warning(f"removed {removed} partial file(s) left by an interrupted run")
    spaces = current_spaces(run.zone)
    if spaces.is_empty():
        raise dg.Failure("no spaces are landed yet: materialize landing/spaces first")
    active = active_space_ids(spaces)
    context.log.info(f"documents: reading {len(active)} active of {spaces.height} spaces")
    with api.client(progress=context.log.info) as client:
        outcomes = extract_documents(
            client, run, active, concurrency=settings.get().api_concurrency,
            progress=context.log.info,
        )
    return _documents_result(context, run, outcomes, settings.get().quarantine_max_share)


def quarantine_check(fetched: int, quarantined: int, max_share: float,
                     reasons: dict[str, int]) -> dg.AssetCheckResult:
    """Pass with none; warn with a few; error (blocking the publish) above the share."""
    share = quarantined / fetched if fetched else 0.0
    too_many = share > max_share
    return dg.AssetCheckResult(
        check_name="quarantine_share",
        passed=quarantined == 0,
        severity=dg.AssetCheckSeverity.ERROR if too_many else dg.AssetCheckSeverity.WARN,
        metadata={"fetched": fetched, "quarantined": quarantined, "share": round(share, 6),
                  "max_share": max_share, "top_reasons": dg.MetadataValue.json(reasons)},
        description=(f"{quarantined} of {fetched} fetched records quarantined ({share:.2%}); "
                     f"above {max_share:.2%} the publish is blocked"),
    )


def reconciliation_check(totals: dict[str, int]) -> dg.AssetCheckResult:
    """Records counted off the wire must all be accounted for: landed or quarantined."""
    return dg.AssetCheckResult(
        check_name="fetched_equals_landed_plus_quarantined",
        passed=totals["fetched"] == totals["landed"] + totals["quarantined"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=totals,
    )


def _documents_result(
    context: dg.AssetExecutionContext, run: ExtractionRun, outcomes: list[SpaceOutcome],
    quarantine_max_share: float,
) -> dg.MaterializeResult:
    totals = {k: sum(getattr(o, k) for o in outcomes)
              for k in ("fetched", "landed", "new_versions", "quarantined")}
    unreadable = [
        {"space_id": o.space_id, "status": o.status, "error": o.error}
        for o in outcomes if o.status != "ok"
    ]
    failed = [u for u in unreadable if u["status"] == "failed"]
    reasons: dict[str, int] = {}
    for outcome in outcomes:
        for reason, count in outcome.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    top_reasons = _top_reasons(reasons)
    run.zone.record_batch("documents", run.batch_id, {
        "extracted_at": run.extracted_at,
        "status": "failed_spaces" if failed else "ok",
        **totals,
        "failures": json.dumps(unreadable),
    })
    for item in unreadable:
        log = context.log.error if item["status"] == "failed" else context.log.warning
        detail = f": {item['error']}" if item["error"] else ""
        log(f"space {item['space_id']}: {item['status']}{detail}")
    context.log.info(
        f"documents: fetched {totals['fetched']:,}, landed {totals['landed']:,} "
        f"({totals['new_versions']:,} new), quarantined {totals['quarantined']:,}, "
        f"{len(unreadable)} space(s) unreadable"
    )
    checks = [quarantine_check(totals["fetched"], totals["quarantined"], quarantine_max_share,
                               top_reasons), reconciliation_check(totals)]
    for check in checks:  # a refusal by the gate holds the batch (still under the writer lock)
        if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR:
            hold_refused_batch(run.zone.root, "documents", run.batch_id, check.check_name,
                               check.description or "failed")
    return dg.MaterializeResult(
        metadata={
            "batch_id": run.batch_id,
            **totals,
            "spaces_read": sum(o.status == "ok" for o in outcomes),
            "spaces_unreadable": dg.MetadataValue.json(unreadable),
            "quarantine_reasons": dg.MetadataValue.json(top_reasons),
            "dagster/row_count": totals["new_versions"],
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="every_space_read",
                passed=not failed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"failed_spaces": dg.MetadataValue.json(failed)},
                description="Access revoked and removed spaces are reported, not failures.",
            ),
            *checks,
        ],
    )


LANDING_ASSETS = [landing_spaces, landing_users, landing_assignments, landing_documents]
