"""Volume check: a batch's fetched count against the median of recent batches of its kind.

A sudden drop (the API answers with a fraction of the clients) or spike (duplicated pages,
another firm's data) beyond `max_ratio` either way fails; with fewer than `min_history`
earlier batches the check passes with the reason "not enough history".

Like is compared with like:
- spaces, users, assignments: every run fetches the complete list, so `fetched` is the size of
  the source and batches compare directly. This is where the check belongs as a blocking rule.
- documents: a run fetches only what changed since the space's high-water mark (minus the
  lookback), so `fetched` measures activity between two runs, and the first read of a space
  is a full read. `recent_fetched_counts(..., "documents")` therefore leaves out batches that
  were an initial load for any space (a batch holding a space's earliest landed file), and
  `is_initial_load` tells the caller to skip the check for such a batch. Even so, deltas vary
  with the time of day and the gap between runs: use the documents volume as a warning (or
  with a wider `max_ratio`), not as a publish gate.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from pipelines.held_batches import HoldStore
from pipelines.landing.zone import LandingZone

NOT_ENOUGH_HISTORY = "not enough history"


@dataclass(frozen=True)
class VolumeOutcome:
    passed: bool
    median: float | None  # of the history; None without enough history
    current: int
    ratio: float | None  # current / median; inf when the median is 0 and current is not
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


def volume_check(
    history: list[int], current: int, *, max_ratio: float = 3.0, min_history: int = 3
) -> VolumeOutcome:
    """Pass when median / max_ratio <= current <= median * max_ratio."""
    if max_ratio < 1:
        raise ValueError("max_ratio must be at least 1")
    if len(history) < min_history:
        return VolumeOutcome(True, None, current, None,
                             f"{NOT_ENOUGH_HISTORY} ({len(history)} of {min_history} batches)")
    median = float(statistics.median(history))
    # An empty source stays fine while it stays empty; anything after it is a spike.
    empty_ratio = 1.0 if current == 0 else float("inf")
    ratio = current / median if median else empty_ratio
    if ratio > max_ratio:
        reason = (f"spike: {current} fetched is {ratio:.2f}x the median {median:g} "
                  f"(max {max_ratio:g}x)")
        return VolumeOutcome(False, median, current, ratio, reason)
    if ratio < 1 / max_ratio:
        reason = (f"drop: {current} fetched is {ratio:.2f}x the median {median:g} "
                  f"(min {1 / max_ratio:.2f}x)")
        return VolumeOutcome(False, median, current, ratio, reason)
    return VolumeOutcome(True, median, current, ratio,
                         f"{current} fetched, {ratio:.2f}x the median {median:g}")


def _batch_records(landing_dir: Path, entity: str) -> pl.DataFrame:
    records = LandingZone(Path(landing_dir)).batch_records(entity)
    return records.select("batch_id", "entity", "status", "fetched")


def initial_load_batches(landing_dir: Path) -> set[str]:
    """Documents batches that held a space's first landed rows (a full read of that space)."""
    return set(LandingZone(Path(landing_dir)).first_batch_by_space().values())


def is_initial_load(landing_dir: Path, batch_id: str) -> bool:
    return batch_id in initial_load_batches(landing_dir)


def recent_fetched_counts(
    landing_dir: Path, entity: str, limit: int = 10, *, before: str | None = None
) -> list[int]:
    """Fetched counts of the latest `limit` ok batches of an entity, oldest first.

    `before` keeps only batches whose id sorts before it (pass the current batch's id to get
    its history). Batches with another status (failed_spaces) are left out; for documents,
    initial loads are left out too (see the module docstring).
    """
    records = _batch_records(landing_dir, entity).filter(
        (pl.col("entity") == entity) & (pl.col("status") == "ok")
    )
    if before is not None:
        records = records.filter(pl.col("batch_id") < before)
    held = HoldStore(Path(landing_dir)).held_ids(entity)
    if held:  # a refused batch's count is no baseline
        records = records.filter(~pl.col("batch_id").is_in(list(held)))
    if entity == "documents":
        records = records.filter(~pl.col("batch_id").is_in(list(initial_load_batches(landing_dir))))
    records = records.sort("batch_id").tail(limit)
    return [int(value) for value in records["fetched"]]
