"""Renders instants as RFC 3339 text in a chosen offset, losslessly, and documents as dicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from pipelines.simulator.faults import DROP_DOCUMENT_ID_TEXT, corrupted_columns
from pipelines.simulator.versions import VERSION_COLUMNS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Contract fields in contract order; the rest of the versions frame is internal.
DOCUMENT_FIELDS = VERSION_COLUMNS[: VERSION_COLUMNS.index("deleted_at") + 1]
TIMESTAMP_FIELDS = [
    "received_at",
    "accounting_status_changed_at",
    "processed_at",
    "created_at",
    "updated_at",
    "deleted_at",
]
DATE_FIELDS = ["issue_date", "due_date"]
# A field newer API versions send and the pipeline must keep although it does not know it.
EXTRA_FIELD = "source_reference"


def offset_suffix(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def render_instant(moment_us: int | None, offset_minutes: int = 0) -> str | None:
    """Fractional seconds only when non-zero, so parsing gives back the exact microsecond."""
    if moment_us is None:
        return None
    local = EPOCH + timedelta(microseconds=moment_us + offset_minutes * 60_000_000)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}"
    return text + offset_suffix(offset_minutes)


def _suffix_expr(offset: pl.Expr) -> pl.Expr:
    sign = pl.when(offset < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    hours = (offset.abs() // 60).cast(pl.String).str.zfill(2)
    minutes = (offset.abs() % 60).cast(pl.String).str.zfill(2)
    return (
        pl.when(offset == 0).then(pl.lit("Z")).otherwise(pl.format("{}{}:{}", sign, hours, minutes))
    )


def rendered_instant(column: str, offset: pl.Expr) -> pl.Expr:
    """Vectorised render_instant of a Datetime("us", "UTC") column."""
    value = pl.col(column)
    local = value.dt.replace_time_zone(None) + pl.duration(minutes=offset)
    micros = value.dt.microsecond()
    fraction = (
        pl.when(micros != 0)
        .then(pl.format(".{}", micros.cast(pl.String).str.zfill(6)))
        .otherwise(pl.lit(""))
    )
    text = pl.concat_str([local.dt.strftime("%Y-%m-%dT%H:%M:%S"), fraction, _suffix_expr(offset)])
    return pl.when(value.is_not_null()).then(text).alias(column)


def documents_json(frame: pl.DataFrame, invalid_kind: np.ndarray | None = None) -> bytes:
    """The JSON array of API records for rows of the versions frame (each in its own offset).

    `invalid_kind` (index into faults.INVALID_KINDS, -1 = valid) corrupts chosen records.
    Serialising in polars keeps a 1000-record page at a few milliseconds.
    """
    offset = pl.col("render_offset_minutes").cast(pl.Int32)
    columns: dict[str, pl.Expr] = {}
    for name in DOCUMENT_FIELDS:
        if name in TIMESTAMP_FIELDS:
            columns[name] = rendered_instant(name, offset)
        elif name in DATE_FIELDS:
            columns[name] = pl.col(name).dt.strftime("%Y-%m-%d")
        else:
            columns[name] = pl.col(name).cast(pl.String)
    columns[EXTRA_FIELD] = pl.format(
        "SR-{}", pl.col("document_id").str.slice(0, 8).str.to_uppercase()
    )
    corrupting = invalid_kind is not None and bool((invalid_kind >= 0).any())
    if corrupting:
        frame = frame.with_columns(_invalid_kind=pl.Series(invalid_kind))
        columns.update(corrupted_columns(pl.col("_invalid_kind"), columns))
    text = frame.select(**columns).write_json() if len(frame) else "[]"
    if corrupting:
        text = text.replace(DROP_DOCUMENT_ID_TEXT, "{")
    return text.encode("utf-8")


def render_documents(frame: pl.DataFrame, invalid_kind: np.ndarray | None = None) -> list[dict]:
    return json.loads(documents_json(frame, invalid_kind))
