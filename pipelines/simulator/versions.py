"""Turns a block's sorted event table into the typed versions frame (one row per version)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.simulator import vocab as v
from pipelines.simulator.documents import DocumentBlock
from pipelines.simulator.events import (
    NO_CHANGE,
    TIME_NO_CHANGE,
    TIME_NULL,
    Events,
    Step,
)
from pipelines.simulator.randomness import SECOND_US, choose_fixed, forward_fill, uniform_us

UTC_US = pl.Datetime("us", "UTC")
# Minutes east of UTC used to render a version's timestamps, and how often each is used.
RENDER_OFFSETS = [0, 60, 120, -300, 330]
RENDER_OFFSET_WEIGHTS = [0.70, 0.10, 0.10, 0.05, 0.05]
# Fields a tombstone keeps (identifiers and timestamps); every other field is null.
TOMBSTONE_KEEPS = {"document_id", "space_id", "received_at"}
VERSION_SCHEMA = {
    "document_id": pl.String,
    "space_id": pl.String,
    "category": v.ENUM_DTYPES["category"],
    "document_type": v.ENUM_DTYPES["document_type"],
    "document_number": pl.String,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "received_at": UTC_US,
    "intake_channel": v.ENUM_DTYPES["intake_channel"],
    "business_status": v.ENUM_DTYPES["business_status"],
    "accounting_status": v.ENUM_DTYPES["accounting_status"],
    "accounting_status_changed_at": UTC_US,
    "processed_at": UTC_US,
    "processed_by": pl.String,
    "currency": pl.String,
    "total_excl_vat": pl.String,
    "vat_amount": pl.String,
    "total_incl_vat": pl.String,
    "counterparty_name": pl.String,
    "created_at": UTC_US,
    "updated_at": UTC_US,
    "deleted_at": UTC_US,
    "version": pl.Int32,
    "visible_at": UTC_US,
    "render_offset_minutes": pl.Int16,
}
VERSION_COLUMNS = list(VERSION_SCHEMA)


def _late_commit_delays(
    rng: np.random.Generator, document: np.ndarray, time: np.ndarray, share: float
) -> np.ndarray:
    """30 s..5 min for a share of versions, always before the document's next version."""
    n = len(time)
    same_next = np.r_[document[1:] == document[:-1], False]
    gap = np.where(same_next, np.r_[time[1:], 0] - time, np.iinfo(np.int64).max)
    delay = np.where(rng.random(n) < share, uniform_us(rng, n, 30 * SECOND_US, 300 * SECOND_US), 0)
    delay = np.where(delay >= gap, gap - 1, delay)
    return np.where(delay < 30 * SECOND_US, 0, delay)


def build_versions(
    rng: np.random.Generator,
    docs: DocumentBlock,
    events: Events,
    user_ids: pl.Series,
    late_commit_share: float,
) -> pl.DataFrame:
    document, time = events.document, events.time
    n = len(time)
    first = np.r_[True, document[1:] != document[:-1]] if n else np.zeros(0, bool)
    first_row = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    status = forward_fill(events.status, NO_CHANGE)
    changed = forward_fill(
        np.where(events.status != NO_CHANGE, time, TIME_NO_CHANGE), TIME_NO_CHANGE
    )
    processed_time = forward_fill(
        np.where(events.status == v.PROCESSED, time, np.where(first, TIME_NULL, TIME_NO_CHANGE)),
        TIME_NO_CHANGE,
    )
    processor = forward_fill(events.processor, NO_CHANGE)
    is_processed = status == v.PROCESSED
    has_status = status >= 0
    business = forward_fill(events.business, NO_CHANGE)
    tombstone = events.step == Step.TOMBSTONE
    visible = time + _late_commit_delays(rng, document, time, late_commit_share)
    offsets = np.asarray(RENDER_OFFSETS, np.int16)[choose_fixed(rng, n, RENDER_OFFSET_WEIGHTS)]

    dynamic = pl.DataFrame(
        {
            "status": np.where(has_status, status, 0),
            "has_status": has_status,
            "business": np.where(business >= 0, business, 0),
            "has_business": business >= 0,
            "changed": changed,
            "processed_time": processed_time,
            "is_processed": is_processed,
            "processor": np.where(is_processed, processor, 0),
            "created": time[first_row],
            "updated": time,
            "tombstone": tombstone,
            "visible": visible,
            "version": (np.arange(n) - first_row + 1).astype(np.int32),
            "render_offset_minutes": offsets,
        }
    )
    enum = lambda name, values: pl.Series(values, dtype=v.ENUM_DTYPES[name])  # noqa: E731
    dynamic = dynamic.select(
        business_status=pl.when("has_business").then(
            enum("business_status", v.BUSINESS_STATUSES).gather(dynamic["business"])
        ),
        accounting_status=pl.when("has_status").then(
            enum("accounting_status", v.ACCOUNTING_STATUSES).gather(dynamic["status"])
        ),
        accounting_status_changed_at=pl.when("has_status").then(pl.col("changed").cast(UTC_US)),
        processed_at=pl.when("is_processed").then(pl.col("processed_time").cast(UTC_US)),
        processed_by=pl.when("is_processed").then(user_ids.gather(dynamic["processor"])),
        created_at=pl.col("created").cast(UTC_US),
        updated_at=pl.col("updated").cast(UTC_US),
        deleted_at=pl.when("tombstone").then(pl.col("updated").cast(UTC_US)),
        version="version",
        visible_at=pl.col("visible").cast(UTC_US),
        render_offset_minutes="render_offset_minutes",
        tombstone="tombstone",
    )
    static = docs.static.select(pl.all().gather(pl.Series(document)))
    static = static.with_columns(tombstone=dynamic["tombstone"]).select(
        *[
            pl.col(c)
            if c in TOMBSTONE_KEEPS
            else pl.when(~pl.col("tombstone")).then(pl.col(c)).alias(c)
            for c in docs.static.columns
        ]
    )
    versions = pl.concat([static, dynamic.drop("tombstone")], how="horizontal")
    return versions.select(VERSION_COLUMNS).cast(VERSION_SCHEMA)
