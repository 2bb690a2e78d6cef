"""The mart suites: small frames shaped like the marts contract pass; each defect fails.

Column types are those the serving DuckDB hands to Polars (bigint -> Int64, integer -> Int32,
decimal(18, 2) -> Decimal, date -> Date, timestamptz -> Datetime UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from pipelines.checks.gx_suites import validate_frame
from tests.checks.support import failures, set_where

AS_OF = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
NOT_NULL = "expect_column_values_to_not_be_null"
BE_NULL = "expect_column_values_to_be_null"
BETWEEN = "expect_column_values_to_be_between"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
IN_SET = "expect_column_values_to_be_in_set"
UNIQUE = "expect_column_values_to_be_unique"
ANY = pl.lit(True)

A, B, C, D = (f"{n}0000000-0000-4000-8000-000000000000" for n in "abcd")


def client_overview() -> pl.DataFrame:
    rows = [
        # a monthly filer with an accountant backlog, a non-filer, a quarterly filer with
        # nothing to do, and an annual filer whose backlog has no age yet.
        (A, "Bakkerij NV", "BE", "MONTHLY", 10, 5, 3, 1, 12, date(2026, 5, 1),
         date(2026, 5, 31), date(2026, 6, 22), 7, 2, Decimal("8.12"), 1, 2),
        (B, "Atelier SA", "NL", "NONE", 4, 2, 0, 1, None, None, None, None, None, None,
         Decimal("0.00"), 3, 1),
        (C, "Café BV", "DE", "QUARTERLY", 0, 0, 0, 0, None, date(2026, 4, 1),
         date(2026, 6, 30), date(2026, 7, 10), 25, 0, Decimal("0.00"), 4, 0),
        (D, "Dupont SARL", "FR", "ANNUAL", 3, 0, 3, 0, 0, date(2026, 1, 1),
         date(2026, 12, 31), date(2027, 3, 19), 277, 0, Decimal("3.00"), 2, 1),
    ]
    schema = {
        "client_id": pl.String, "client_name": pl.String, "country": pl.String,
        "vat_filing_frequency": pl.String, "documents_total": pl.Int64,
        "documents_processed": pl.Int64, "documents_accountant_action_needed": pl.Int64,
        "documents_client_action_needed": pl.Int64,
        "oldest_open_accountant_action_days": pl.Int32, "filing_period_start": pl.Date,
        "filing_period_end": pl.Date, "filing_deadline": pl.Date,
        "days_to_filing_deadline": pl.Int32, "open_in_filing_period": pl.Int64,
        "priority_score": pl.Decimal(18, 2), "priority_rank": pl.Int64,
        "assigned_team_members": pl.Int64,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(data_as_of=pl.lit(AS_OF, dtype=pl.Datetime("us", "UTC")))


def vat_period_progress() -> pl.DataFrame:
    rows = [
        (A, date(2026, 4, 1), date(2026, 4, 30), date(2026, 5, 20), 12, 12, 11, 0, 1.0,
         30.5, 70.25, "complete"),
        (A, date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 22), 8, 5, 0, 3, 0.625,
         20.0, 44.0, "open"),
        (C, date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 10), 2, 0, 0, 2, 0.0,
         None, None, "overdue"),
    ]
    schema = {
        "client_id": pl.String, "vat_period_start": pl.Date, "vat_period_end": pl.Date,
        "filing_deadline": pl.Date, "documents_total": pl.Int64,
        "documents_processed": pl.Int64, "processed_by_deadline": pl.Int64,
        "documents_open": pl.Int64, "pct_processed": pl.Float64,
        "median_hours_to_process": pl.Float64, "p90_hours_to_process": pl.Float64,
        "period_state": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def client_category_daily() -> pl.DataFrame:
    url = "https://app.example/clients/{}/documents/{}?status=all"
    rows = [
        (A, "SALES_INVOICE", date(2026, 6, 1), 3, 1, 1, 1, url.format(A, "sales-invoices")),
        (A, "OTHER", date(2026, 6, 1), 2, None, None, None, url.format(A, "other-documents")),
        (C, "PURCHASE_INVOICE", date(2026, 6, 2), 1, 0, 0, 1,
         url.format(C, "purchase-invoices")),
    ]
    schema = {
        "client_id": pl.String, "category": pl.String, "activity_date": pl.Date,
        "documents_total": pl.Int64, "documents_processed": pl.Int64,
        "documents_accountant_action_needed": pl.Int64,
        "documents_client_action_needed": pl.Int64, "action_url": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


GOOD = {
    "mart_client_overview": client_overview,
    "mart_vat_period_progress": vat_period_progress,
    "fct_client_category_daily": client_category_daily,
}
BACKLOG = pl.col("documents_accountant_action_needed") > 0
FILER = pl.col("vat_filing_frequency") != "NONE"
OPEN = pl.col("documents_open") > 0
NOT_OTHER = pl.col("category") != "OTHER"

CASES = {
    "mart_client_overview": {
        "a negative count": (lambda f: set_where(f, ~BACKLOG, documents_client_action_needed=-1),
                             (BETWEEN, "documents_client_action_needed")),
        "priority_rank 0": (lambda f: set_where(f, ANY, priority_rank=0),
                            (BETWEEN, "priority_rank")),
        "two clients share a rank": (
            lambda f: f.with_columns(priority_rank=pl.Series([1, 1, 2, 3])),
            (UNIQUE, "priority_rank")),
        "a client twice": (lambda f: set_where(f, pl.col("client_id") == B, client_id=A),
                           (UNIQUE, "client_id")),
        "more processed than total": (
            lambda f: set_where(f, pl.col("client_id") == B, documents_processed=5),
            (PAIR, "documents_total,documents_processed")),
        "a score without backlog": (
            lambda f: set_where(f, ~BACKLOG, priority_score=Decimal("1.50")),
            (BETWEEN, "priority_score")),
        "a negative score": (
            lambda f: set_where(f, BACKLOG, priority_score=Decimal("-1.00")),
            (BETWEEN, "priority_score")),
        "a backlog without age": (
            lambda f: set_where(f, BACKLOG, oldest_open_accountant_action_days=None),
            (NOT_NULL, "oldest_open_accountant_action_days")),
        "a deadline already passed": (
            lambda f: set_where(f, FILER, days_to_filing_deadline=-1),
            (BETWEEN, "days_to_filing_deadline")),
        "a filer without deadline": (lambda f: set_where(f, FILER, filing_deadline=None),
                                     (NOT_NULL, "filing_deadline")),
        "a non-filer with a filing period": (
            lambda f: set_where(f, ~FILER, open_in_filing_period=0),
            (BE_NULL, "open_in_filing_period")),
        "a deadline inside the period": (
            lambda f: set_where(f, FILER, filing_deadline=date(2026, 5, 31)),
            (PAIR, "filing_deadline,filing_period_end")),
        "two as-of instants": (
            lambda f: set_where(f, ANY, data_as_of=datetime(2026, 6, 14, tzinfo=UTC)),
            ("expect_column_unique_value_count_to_be_between", "data_as_of")),
        "unknown filing frequency": (
            lambda f: set_where(f, ~FILER, vat_filing_frequency="WEEKLY"),
            {(IN_SET, "vat_filing_frequency")} | {
                (NOT_NULL, c) for c in ("filing_period_start", "filing_period_end",
                                        "filing_deadline", "days_to_filing_deadline",
                                        "open_in_filing_period")}),
        "a contract column missing": (
            lambda f: f.drop("client_name"), ("expect_table_columns_to_match_set", None)),
    },
    "mart_vat_period_progress": {
        "pct_processed 1.2": (lambda f: set_where(f, ANY, pct_processed=1.2),
                              (BETWEEN, "pct_processed")),
        "pct_processed negative": (lambda f: set_where(f, ANY, pct_processed=-0.1),
                                   (BETWEEN, "pct_processed")),
        "a negative open count": (
            lambda f: set_where(f, ~OPEN, documents_open=-1),
            {(BETWEEN, "documents_open")}),
        "an empty period row": (lambda f: set_where(f, ~OPEN, documents_total=0),
                                {(BETWEEN, "documents_total"),
                                 (PAIR, "documents_total,documents_processed")}),
        "more processed by the deadline than processed": (
            lambda f: set_where(f, OPEN & (pl.col("documents_processed") > 0),
                                processed_by_deadline=6),
            (PAIR, "documents_processed,processed_by_deadline")),
        "complete with open documents": (
            lambda f: set_where(f, OPEN, period_state="complete"),
            (IN_SET, "period_state")),
        "open with nothing open": (lambda f: set_where(f, ~OPEN, period_state="open"),
                                   (IN_SET, "period_state")),
        "a p90 below the median": (
            lambda f: set_where(f, pl.col("median_hours_to_process").is_not_null(),
                                p90_hours_to_process=1.0),
            (PAIR, "p90_hours_to_process,median_hours_to_process")),
        "a median without processed documents": (
            lambda f: set_where(f, pl.col("documents_processed") == 0,
                                median_hours_to_process=3.0),
            (BE_NULL, "median_hours_to_process")),
        "a negative median": (
            lambda f: set_where(f, pl.col("documents_processed") > 0,
                                median_hours_to_process=-2.0),
            (BETWEEN, "median_hours_to_process")),
        "a deadline inside the period": (
            lambda f: set_where(f, ANY, filing_deadline=date(2026, 4, 30)),
            (PAIR, "filing_deadline,vat_period_end")),
        "a period twice": (
            lambda f: pl.concat([f, f.head(1)]),
            ("expect_compound_columns_to_be_unique", "client_id,vat_period_start")),
        "unknown period_state": (lambda f: set_where(f, OPEN, period_state="late"),
                                 {(IN_SET, "period_state")}),
    },
    "fct_client_category_daily": {
        "a negative count": (
            lambda f: set_where(f, NOT_OTHER, documents_accountant_action_needed=-1),
            (BETWEEN, "documents_accountant_action_needed")),
        "a row without documents": (
            lambda f: set_where(f, ~NOT_OTHER, documents_total=0), (BETWEEN, "documents_total")),
        "a status count above the total": (
            lambda f: set_where(f, NOT_OTHER, documents_processed=9),
            (PAIR, "documents_total,documents_processed")),
        "status counts for OTHER": (lambda f: set_where(f, ~NOT_OTHER, documents_processed=0),
                                    (BE_NULL, "documents_processed")),
        "a missing status count": (
            lambda f: set_where(f, NOT_OTHER, documents_client_action_needed=None),
            (NOT_NULL, "documents_client_action_needed")),
        "unknown category": (lambda f: set_where(f, NOT_OTHER, category="RECEIPTS"),
                             (IN_SET, "category")),
        "a day twice": (
            lambda f: pl.concat([f, f.head(1)]),
            ("expect_compound_columns_to_be_unique", "client_id,category,activity_date")),
        "a relative action_url": (
            lambda f: set_where(f, ANY, action_url="/clients/a/documents"),
            ("expect_column_values_to_match_regex", "action_url")),
    },
}

FLAT = [(suite, name, *case) for suite, cases in CASES.items() for name, case in cases.items()]


@pytest.mark.parametrize("suite", list(GOOD))
def test_a_good_mart_passes(suite):
    outcome = validate_frame(suite, GOOD[suite]())
    assert outcome.success, outcome.to_dict()


@pytest.mark.parametrize("suite", list(GOOD))
def test_an_empty_mart_passes(suite):
    assert validate_frame(suite, GOOD[suite]().clear()).success


@pytest.mark.parametrize(("suite", "case", "corrupt", "expected"), FLAT,
                         ids=[f"{s}: {n}" for s, n, *_ in FLAT])
def test_each_defect_fails_its_expectation(suite, case, corrupt, expected):
    outcome = validate_frame(suite, corrupt(GOOD[suite]()))
    expected = expected if isinstance(expected, set) else {expected}
    assert not outcome.success
    assert failures(outcome) == expected, outcome.to_dict()


def test_added_mart_columns_are_allowed():
    frame = client_overview().with_columns(segment=pl.lit("smb"))
    assert validate_frame("mart_client_overview", frame).success
