"""Held batches: a landed batch that the quality gate refused stays out of the marts.

A blocking landing check (landed_batch_expectations, volume_within_bounds, quarantine_share
above its bound, fetched_equals_landed_plus_quarantined) that fails on a batch records the
batch here. The rows stay in the landing zone (nothing landed is ever lost), but every dbt
staging model leaves out the rows of a held batch, so later refreshes and `insights rebuild`
publish nothing of it. A hold ends only explicitly:

- `insights release BATCH`: a person decided the rows are good; the next refresh or rebuild
  publishes them;
- re-extraction: `insights reextract --space ID` makes the next refresh re-read the space in
  full, and the versions of a held batch land again in a new batch, which the gate checks
  anew (the held copy stays out);
- superseded: the lists (spaces, users, assignments) are read in full by every refresh, so
  the next list batch that passes the gate carries the same records; the held batch stays out.

The holds live in one small Parquet file, `landing/holds/holds.parquet` (a dbt source like the
other landing tables, read the same way on every engine), rewritten atomically by the writer
that holds the writer lock. Released holds stay in the file with who released them and when.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

HOLD_SCHEMA = {
    "entity": pl.String,
    "batch_id": pl.String,
    "status": pl.String,  # held | released
    "checks": pl.String,  # JSON list of the refusing checks
    "reason": pl.String,
    "held_at": pl.Datetime("us", "UTC"),
    "released_at": pl.Datetime("us", "UTC"),
    "released_by": pl.String,
}


@dataclass(frozen=True)
class Hold:
    entity: str
    batch_id: str
    status: str
    checks: list[str]
    reason: str
    held_at: datetime
    released_at: datetime | None = None
    released_by: str | None = None

    def as_dict(self) -> dict:
        return {"entity": self.entity, "batch_id": self.batch_id, "status": self.status,
                "checks": self.checks, "reason": self.reason,
                "held_at": self.held_at.isoformat(timespec="seconds"),
                "released_at": self.released_at.isoformat(timespec="seconds")
                if self.released_at else None,
                "released_by": self.released_by}


class HoldStore:
    """Callers that write hold the writer lock (the landing zone refuses the write without
    it, like every landing write)."""

    def __init__(self, landing_dir: Path):
        from pipelines.landing.zone import LandingZone

        self.zone = LandingZone(landing_dir)
        self.path = self.zone.holds_path

    def _read(self) -> pl.DataFrame:
        if not self.path.exists():
            return pl.DataFrame(schema=HOLD_SCHEMA)
        return pl.read_parquet(self.path).cast(HOLD_SCHEMA)

    def _write(self, frame: pl.DataFrame) -> None:
        self.zone.write_holds(frame.sort("held_at", "entity", "batch_id"))

    def ensure(self) -> None:
        if not self.path.exists():
            self._write(pl.DataFrame(schema=HOLD_SCHEMA))

    def all(self) -> list[Hold]:
        return [Hold(**{**row, "checks": json.loads(row["checks"] or "[]")})
                for row in self._read().iter_rows(named=True)]

    def held(self) -> list[Hold]:
        return [hold for hold in self.all() if hold.status == "held"]

    def held_ids(self, entity: str) -> set[str]:
        return {h.batch_id for h in self.held() if h.entity == entity}

    def hold(self, entity: str, batch_id: str, check: str, reason: str) -> Hold:
        """Record the refusal (a second failing check on the same batch joins the first)."""
        frame = self._read()
        mine = (pl.col("entity") == entity) & (pl.col("batch_id") == batch_id)
        existing = frame.filter(mine & (pl.col("status") == "held"))
        checks, reasons = [check], [reason]
        if existing.height:
            row = existing.row(0, named=True)
            old_checks = json.loads(row["checks"])
            checks = sorted({*old_checks, check})
            reasons = [row["reason"]] if check in old_checks else [row["reason"], reason]
        held_at = existing["held_at"][0] if existing.height else datetime.now(UTC)
        new = Hold(entity, batch_id, "held", checks, "; ".join(reasons), held_at)
        row = {**new.as_dict(), "checks": json.dumps(checks), "held_at": held_at}
        self._write(pl.concat([frame.filter(~(mine & (pl.col("status") == "held"))),
                               pl.DataFrame([row], schema=HOLD_SCHEMA)]))
        return new

    def release(self, batch_id: str, by: str) -> list[Hold]:
        """Release every held entity of this batch id; returns what was released."""
        frame = self._read()
        target = (pl.col("batch_id") == batch_id) & (pl.col("status") == "held")
        released = [h for h in self.held() if h.batch_id == batch_id]
        if released:
            self._write(frame.with_columns(
                status=pl.when(target).then(pl.lit("released")).otherwise("status"),
                released_at=pl.when(target).then(pl.lit(datetime.now(UTC)))
                .otherwise("released_at"),
                released_by=pl.when(target).then(pl.lit(by)).otherwise("released_by"),
            ))
        return released


def hold_refused_batch(landing_dir: Path, entity: str, batch_id: str | None, check: str,
                       reason: str | None) -> None:
    """What a blocking landing check calls when it fails (no batch: nothing to hold)."""
    if batch_id:
        HoldStore(landing_dir).hold(entity, batch_id, check, reason or "failed")
