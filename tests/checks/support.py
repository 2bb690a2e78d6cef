"""Corrupt copies of good frames, one defect at a time."""

from __future__ import annotations

from typing import Any

import polars as pl

from pipelines.checks.gx_suites import SuiteOutcome


def first_row(frame: pl.DataFrame, condition: pl.Expr) -> int:
    """Index of the first row matching `condition` (the good frame must have one)."""
    matches = frame.with_row_index("__i").filter(condition)["__i"]
    assert len(matches), f"the good frame has no row where {condition}"
    return int(matches[0])


def with_value(frame: pl.DataFrame, row: int, column: str, value: Any) -> pl.DataFrame:
    """A copy with one cell replaced, keeping the column's dtype."""
    dtype = frame.schema[column]
    replacement = pl.lit(value, dtype=dtype) if value is not None else pl.lit(None, dtype=dtype)
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(replacement).otherwise(pl.col(column))
        .alias(column)
    )


def set_where(frame: pl.DataFrame, condition: pl.Expr, **values: Any) -> pl.DataFrame:
    """A copy where the first row matching `condition` gets `values`."""
    row = first_row(frame, condition)
    for column, value in values.items():
        frame = with_value(frame, row, column, value)
    return frame


def failures(outcome: SuiteOutcome) -> set[tuple[str, str | None]]:
    return {(f.expectation, f.column) for f in outcome.failed}
