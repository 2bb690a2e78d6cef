"""Generates the versions of one fixed block of spaces; blocks never depend on each other."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.simulator.config import WorldConfig
from pipelines.simulator.documents import build_documents
from pipelines.simulator.events import SpaceFacts
from pipelines.simulator.lifecycle import build_events
from pipelines.simulator.randomness import (
    DAY_US,
    DOCUMENTS_STREAM,
    HOUR_US,
    LIFECYCLE_STREAM,
    SECOND_US,
    stream,
    uniform_us,
)
from pipelines.simulator.spaces import to_us
from pipelines.simulator.versions import VERSION_SCHEMA, build_versions

# Fixed, so the same seed gives the same data whatever chunk size a reader asks for.
BLOCK_CLIENTS = 64


def block_count(config: WorldConfig) -> int:
    return -(-config.clients // BLOCK_CLIENTS)


def _bulk_instants(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A weekly bulk-action slot per space (e.g. Friday afternoon), from start to end."""
    times, owners = [], []
    for local, (first, last) in enumerate(zip(start, end, strict=True)):
        base = (first // DAY_US + int(rng.integers(0, 7))) * DAY_US
        base += int(uniform_us(rng, 1, 14 * HOUR_US, 17 * HOUR_US)[0])
        if rng.random() < 0.5:
            base = base // SECOND_US * SECOND_US
        slots = base + 7 * DAY_US * np.arange(max((last - base) // (7 * DAY_US) + 1, 0))
        times.append(slots)
        owners.append(np.full(len(slots), local))
    return np.concatenate(times).astype(np.int64), np.concatenate(owners).astype(np.int64)


def _facts(rng: np.random.Generator, spaces: pl.DataFrame, processors: pl.DataFrame) -> SpaceFacts:
    joined = spaces.join(processors, on="space_idx", how="left", maintain_order="left")
    column = lambda name, fill=-1: joined[name].fill_null(fill).to_numpy()  # noqa: E731
    start, end = column("doc_start_us"), column("doc_end_us")
    bulk_times, bulk_space = _bulk_instants(rng, start, end)
    return SpaceFacts(
        frequency=column("frequency_code"),
        filing_day=column("filing_day"),
        has_integration=column("has_integration", False).astype(bool),
        import_at=column("import_at_us"),
        horizon=end,
        primary_before=column("primary_before"),
        primary_after=column("primary_after"),
        switch_at=column("switch_us"),
        secondary=column("secondary"),
        bulk_times=bulk_times,
        bulk_space=bulk_space,
    )


def generate_block(
    config: WorldConfig,
    block: int,
    spaces: pl.DataFrame,
    processors: pl.DataFrame,
    user_ids: pl.Series,
) -> tuple[pl.DataFrame, np.ndarray]:
    """Versions of the spaces in block `block`, and the global space index of each row."""
    members = spaces.filter(
        (pl.col("space_idx") // BLOCK_CLIENTS == block) & pl.col("doc_start_us").is_not_null()
    )
    if members.is_empty():
        return empty_versions(), np.zeros(0, np.int64)
    anchor = to_us(config.anchor)
    history = (anchor - config.history_days * DAY_US, anchor + config.future_days * DAY_US)
    docs = build_documents(
        stream(config.seed, DOCUMENTS_STREAM, block),
        members,
        config.documents_per_client_month,
        history,
    )
    rng = stream(config.seed, LIFECYCLE_STREAM, block)
    facts = _facts(rng, members, processors)
    events = build_events(rng, docs, facts, config.bulk_update_share)
    versions = build_versions(rng, docs, events, user_ids, config.late_commit_share)
    space_index = members["space_idx"].to_numpy()[docs.space_local[events.document]]
    return versions, space_index


def empty_versions() -> pl.DataFrame:
    """A zero-row frame with the versions schema (blocks without documents)."""
    return pl.DataFrame(schema=VERSION_SCHEMA)
