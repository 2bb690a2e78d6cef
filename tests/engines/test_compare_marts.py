"""The row-for-row comparison of the cross-engine test: what it accepts and what it reports."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl

from tests.engines.support import (
    FLOAT_RELATIVE_TOLERANCE,
    compare_mart,
    floats_equal,
    normalize,
)


def _progress(**changes) -> pl.DataFrame:
    row = {"client_id": "c1", "vat_period_start": datetime(2026, 4, 1).date(),
           "documents_total": 3, "pct_processed": 2 / 3, "median_hours_to_process": 23.0}
    row.update(changes)
    return pl.DataFrame([row, {**row, "client_id": "c2"}])


def test_equal_marts_have_no_differences_whatever_the_row_order():
    frame = _progress()
    assert compare_mart("mart_vat_period_progress", frame, frame.reverse()) == []


def test_floats_within_the_relative_tolerance_are_equal_beyond_it_not():
    close = _progress(pct_processed=2 / 3 * (1 + FLOAT_RELATIVE_TOLERANCE / 10))
    assert compare_mart("mart_vat_period_progress", _progress(), close) == []
    far = _progress(pct_processed=2 / 3 * (1 + FLOAT_RELATIVE_TOLERANCE * 10))
    problems = compare_mart("mart_vat_period_progress", _progress(), far)
    assert len(problems) == 1 and problems[0].startswith("mart_vat_period_progress.pct_processed")
    assert floats_equal(1.0, 1.0 + FLOAT_RELATIVE_TOLERANCE / 2)
    assert not floats_equal(1.0, 1.0 + FLOAT_RELATIVE_TOLERANCE * 2)


def test_a_null_equals_only_a_null():
    with_null = _progress(median_hours_to_process=None)
    assert compare_mart("mart_vat_period_progress", with_null, with_null) == []
    problems = compare_mart("mart_vat_period_progress", _progress(), with_null)
    assert problems and "median_hours_to_process: 2 rows differ" in problems[0]


def test_missing_unexpected_and_changed_rows_are_reported():
    expected = _progress()
    actual = pl.concat([expected.head(1), _progress(client_id="c9").head(1)])
    problems = compare_mart("mart_vat_period_progress", expected, actual)
    assert any("1 rows missing" in problem for problem in problems)
    assert any("1 unexpected rows" in problem for problem in problems)
    counted = compare_mart("mart_vat_period_progress", expected, _progress(documents_total=4))
    assert counted and counted[0].startswith("mart_vat_period_progress.documents_total")


def test_other_columns_are_reported():
    problems = compare_mart("mart_vat_period_progress", _progress(),
                            _progress().rename({"documents_total": "total"}))
    assert problems and "columns" in problems[0]


def test_decimals_integers_and_timestamps_compare_by_value():
    instant = datetime(2026, 6, 14, 22, 30, tzinfo=UTC)
    duckdb_like = pl.DataFrame({"client_id": ["c1"], "priority_score": [Decimal("12.34")],
                                "documents_total": pl.Series([5], dtype=pl.Int64),
                                "data_as_of": [instant]})
    spark_like = pl.DataFrame({"client_id": ["c1"], "priority_score": [12.34],
                               "documents_total": pl.Series([5], dtype=pl.Int32),
                               "data_as_of": [instant.replace(tzinfo=None)]})  # naive = UTC
    assert compare_mart("mart_client_overview", duckdb_like, spark_like) == []
    brussels = duckdb_like.with_columns(
        pl.col("data_as_of").dt.convert_time_zone("Europe/Brussels")
    )
    assert normalize(brussels)["data_as_of"].to_list() == [instant]
    later = spark_like.with_columns(pl.col("data_as_of").dt.offset_by("1h"))
    problems = compare_mart("mart_client_overview", duckdb_like, later)
    assert problems and problems[0].startswith("mart_client_overview.data_as_of")
