"""Drift between the source and the landing zone, from a full re-read of every space.

A source version at or before the space's high-water mark should be landed; one that is not
is drift (a lost version: the incremental extraction missed it). Versions newer than the mark
are simply not extracted yet. Landed documents the source no longer returns at all are
reported too (a source that drops documents without a tombstone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.extraction.documents import ExtractionRun
from pipelines.landing.validate import validate
from pipelines.landing.zone import KEY_SCHEMA
from pipelines.resources.api_client import ClientSpacesClient, SpaceUnavailable


@dataclass
class SpaceDrift:
    space_id: str
    source_documents: int = 0
    lost_versions: list[str] = field(default_factory=list)  # document ids
    not_yet_extracted: int = 0
    missing_from_source: list[str] = field(default_factory=list)
    status: str = "ok"


def space_drift(client: ClientSpacesClient, run: ExtractionRun, space_id: str) -> SpaceDrift:
    drift = SpaceDrift(space_id)
    try:
        records = [r for page in client.iter_document_pages(space_id) for r in page]
    except SpaceUnavailable as unavailable:
        drift.status = unavailable.reason
        return drift
    source = validate("documents", records, batch_id="reconcile", extracted_at=run.extracted_at,
                      source_space_id=space_id).landed.select(list(KEY_SCHEMA))
    drift.source_documents = source.height
    mark = run.marks.get(space_id)
    landed = run.zone.landed_document_keys(space_id, None)
    unseen = source.join(landed, on=list(KEY_SCHEMA), how="anti")
    if mark is None:
        drift.not_yet_extracted = unseen.height
    else:
        lost = unseen.filter(pl.col("updated_at") <= mark)
        drift.lost_versions = lost["document_id"].to_list()
        drift.not_yet_extracted = unseen.height - lost.height
    gone = landed.select("document_id").unique().join(source, on="document_id", how="anti")
    drift.missing_from_source = gone["document_id"].to_list()
    return drift
