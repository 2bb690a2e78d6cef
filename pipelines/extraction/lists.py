"""Extraction of the small lists: spaces, users (new versions) and assignments (full set).

Spaces and users change rarely, so only versions not landed before (id, updated_at) are
appended. Assignments have no version stamp and the API serves the complete current set,
so each run lands the whole set: the latest batch is the truth, earlier batches the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.extraction.documents import ExtractionRun
from pipelines.landing.validate import validate
from pipelines.landing.zone import LandingZone
from pipelines.resources.api_client import ClientSpacesClient

VERSION_KEYS = {"spaces": ["id", "updated_at"], "users": ["id", "updated_at"]}
SNAPSHOT_KEYS = {"assignments": ["user_id", "space_id"]}


@dataclass
class ListOutcome:
    entity: str
    fetched: int = 0
    landed: int = 0
    new_versions: int = 0
    quarantined: int = 0
    duplicates: int = 0  # the same key twice in one answer (kept once)
    reasons: dict[str, int] = field(default_factory=dict)


def _fetch(client: ClientSpacesClient, entity: str) -> list:
    return {"spaces": client.list_spaces, "users": client.list_users,
            "assignments": client.list_assignments}[entity]()


def extract_list(client: ClientSpacesClient, run: ExtractionRun, entity: str) -> ListOutcome:
    records = _fetch(client, entity)
    checked = validate(entity, records, batch_id=run.batch_id, extracted_at=run.extracted_at)
    keys = VERSION_KEYS.get(entity) or SNAPSHOT_KEYS[entity]
    unique = checked.landed.unique(keys, keep="first", maintain_order=True)
    outcome = ListOutcome(
        entity, fetched=checked.fetched, landed=checked.landed.height,
        quarantined=checked.quarantined.height, duplicates=checked.landed.height - unique.height,
    )
    new = unique
    if entity in VERSION_KEYS:
        landed_before = run.zone.scan(entity)
        if landed_before is not None:
            # Lists are read in full every run: a held batch's records land again, for the
            # gate to check anew (the held copy stays out: pipelines/held_batches.py).
            held = list(run.held.get(entity, ()))
            if held:
                landed_before = landed_before.filter(~pl.col("_batch_id").is_in(held))
            new = unique.join(landed_before.select(keys).collect(), on=keys, how="anti")
    if new.height or entity in SNAPSHOT_KEYS:
        run.zone.land_entity(entity, new, run.batch_id)
    if checked.quarantined.height:
        run.zone.quarantine(entity, checked.quarantined, run.batch_id, "all")
        outcome.reasons = dict(checked.quarantined["reason"].value_counts().iter_rows())
    outcome.new_versions = new.height
    return outcome


def active_space_ids(spaces: pl.DataFrame) -> list[str]:
    """Ids of the spaces (from current_spaces) whose link status is ACTIVE, sorted."""
    if spaces.is_empty():
        return []
    return spaces.filter(pl.col("link_status") == "ACTIVE")["id"].sort().to_list()


def current_spaces(zone: LandingZone) -> pl.DataFrame:
    """The latest landed version of every space."""
    spaces = zone.scan("spaces")
    if spaces is None:
        return pl.DataFrame()
    return (
        spaces.sort("updated_at", "_batch_id")
        .group_by("id", maintain_order=True)
        .last()
        .collect()
    )
