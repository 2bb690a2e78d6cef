"""Incremental, de-duplicated extraction of each space's documents into the landing zone.

Per space: ask for `updated_gte = mark - lookback`, validate each chunk of pages, drop versions
already landed (document_id, updated_at), land the rest atomically, and only then move the
mark. A crash anywhere leaves landed data and marks consistent: a rerun re-reads from the old
mark and the de-duplication makes the re-read a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from pipelines.landing.marks import MarkStore
from pipelines.landing.validate import validate
from pipelines.landing.zone import KEY_SCHEMA, LandingZone
from pipelines.resources.api_client import (
    ApiError,
    AuthenticationError,
    ClientSpacesClient,
    SpaceUnavailable,
)

log = logging.getLogger("pipelines.extraction")

CHUNK_ROWS = 50_000  # rows held in memory per space before they are landed


@dataclass
class SpaceOutcome:
    space_id: str
    status: str = "ok"  # ok | access_revoked | not_found | failed
    fetched: int = 0
    landed: int = 0  # valid records, new or already landed
    new_versions: int = 0  # of which were not landed before
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    mark: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class ExtractionRun:
    zone: LandingZone
    marks: MarkStore
    batch_id: str
    extracted_at: datetime
    lookback: timedelta
    chunk_rows: int = CHUNK_ROWS
    # batch ids the quality gate holds, per entity (see pipelines/held_batches.py)
    held: dict[str, frozenset[str]] = field(default_factory=dict)


def extract_space(client: ClientSpacesClient, run: ExtractionRun, space_id: str) -> SpaceOutcome:
    outcome = SpaceOutcome(space_id, mark=run.marks.get(space_id))
    since = outcome.mark - run.lookback if outcome.mark else None
    # A full read (a new space, or `insights reextract`) lands a held batch's versions again,
    # for the gate to check anew; an incremental read leaves them held.
    held = run.held.get("documents", frozenset()) if since is None else frozenset()
    known = run.zone.landed_document_keys(space_id, since, exclude_batches=held)
    buffer: list = []
    part = 0

    def land_buffer(last: bool) -> None:
        nonlocal known, part, buffer
        checked = validate("documents", buffer, batch_id=run.batch_id,
                           extracted_at=run.extracted_at, source_space_id=space_id)
        buffer = []
        new = checked.landed.lazy().unique(list(KEY_SCHEMA), keep="first", maintain_order=True)
        if known.height:  # a first read has nothing to de-duplicate against
            new = new.join(known.lazy(), on=list(KEY_SCHEMA), how="anti")
        new = new.collect()
        if new.height:
            run.zone.land_documents(new, space_id, run.batch_id, part)
        if checked.quarantined.height:
            run.zone.quarantine("documents", checked.quarantined, run.batch_id, space_id, part)
            for reason in checked.quarantined["reason"]:
                outcome.reasons[reason] = outcome.reasons.get(reason, 0) + 1
        part += 1
        outcome.landed += checked.landed.height
        outcome.new_versions += new.height
        outcome.quarantined += checked.quarantined.height
        if new.height and not last:  # the next chunk de-duplicates against these too
            known = pl.concat([known, new.select(list(KEY_SCHEMA))])
        if checked.landed.height:
            newest = checked.landed["updated_at"].max()
            # The rows are durable now, so the mark may cover them.
            run.marks.set(space_id, newest, run.batch_id)
            outcome.mark = max(outcome.mark, newest) if outcome.mark else newest

    for page in client.iter_document_pages(space_id, since):
        outcome.fetched += len(page)
        buffer.extend(page)
        if len(buffer) >= run.chunk_rows:
            land_buffer(last=False)
    if buffer:
        land_buffer(last=True)
    return outcome


def extract_documents(
    client: ClientSpacesClient,
    run: ExtractionRun,
    space_ids: list[str],
    *,
    concurrency: int = 4,
    progress: Callable[[str], None] = log.info,
) -> list[SpaceOutcome]:
    """Extract every space; one space's failure is recorded and never stops the others."""

    def one(space_id: str) -> SpaceOutcome:
        try:
            return extract_space(client, run, space_id)
        except SpaceUnavailable as unavailable:
            return SpaceOutcome(space_id, status=unavailable.reason, mark=run.marks.get(space_id))
        except AuthenticationError:
            raise  # credentials are wrong for every space: stop the run
        except (ApiError, OSError, pl.exceptions.PolarsError) as error:
            return SpaceOutcome(space_id, status="failed", error=str(error),
                                mark=run.marks.get(space_id))

    outcomes: list[SpaceOutcome] = []
    every = max(1, len(space_ids) // 10)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="extract") as pool:
        futures = [pool.submit(one, space_id) for space_id in space_ids]
        for future in as_completed(futures):
            outcomes.append(future.result())
            done = len(outcomes)
            if done % every == 0 or done == len(space_ids):
                progress(
                    f"documents: {done}/{len(space_ids)} spaces, "
                    f"{sum(o.fetched for o in outcomes):,} fetched, "
                    f"{sum(o.new_versions for o in outcomes):,} new versions, "
                    f"{sum(o.quarantined for o in outcomes):,} quarantined"
                )
    return sorted(outcomes, key=lambda o: o.space_id)
