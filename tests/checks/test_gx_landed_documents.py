"""The landed documents suite passes a real landed batch and fails each defect on its own.

The good frame is one space's batch file landed by the real assets from the simulator; each
case corrupts a copy in exactly one way, as a Parquet file written by something other than
the landing code could.
"""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from pipelines.checks.gx_suites import SUITES_DIR, validate_frame
from tests.checks.support import failures, set_where
from tests.conftest import ANCHOR

SUITE = "landed_documents"
PARAMETERS = {"max_received_at": ANCHOR + timedelta(minutes=5)}

NOT_NULL = "expect_column_values_to_not_be_null"
BE_NULL = "expect_column_values_to_be_null"
IN_SET = "expect_column_values_to_be_in_set"
REGEX = "expect_column_values_to_match_regex"
OF_TYPE = "expect_column_values_to_be_of_type"
BETWEEN = "expect_column_values_to_be_between"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
COLUMNS = "expect_table_columns_to_match_set"

LIVE = pl.col("deleted_at").is_null()
PROCESSED = pl.col("accounting_status") == "PROCESSED"
OPEN = pl.col("accounting_status").is_in(["CLIENT_ACTION_NEEDED", "READY_TO_PROCESS", "ERROR"])
OTHER = LIVE & (pl.col("category") == "OTHER")
ANY = pl.lit(True)


def _shift(column: str, delta: timedelta) -> pl.Expr:
    return pl.col(column) + delta


# name -> (corruption, the one failure it must cause)
CASES = {
    "duplicated (document_id, updated_at)": (
        lambda f: pl.concat([f, f.head(1)]),
        ("expect_compound_columns_to_be_unique", "document_id,updated_at")),
    "unknown category": (
        lambda f: set_where(f, LIVE & (pl.col("category") == "PURCHASE_INVOICE"),
                            category="PURCHASE_INVOICES"),
        (IN_SET, "category")),
    "unknown document_type": (
        lambda f: set_where(f, LIVE, document_type="PROFORMA"), (IN_SET, "document_type")),
    "unknown intake_channel": (
        lambda f: set_where(f, LIVE, intake_channel="FAX"), (IN_SET, "intake_channel")),
    "unknown accounting_status": (
        lambda f: set_where(f, OPEN, accounting_status="ON_HOLD"), (IN_SET, "accounting_status")),
    "null document_id": (
        lambda f: set_where(f, ANY, document_id=None), (NOT_NULL, "document_id")),
    "null space_id": (lambda f: set_where(f, ANY, space_id=None), (NOT_NULL, "space_id")),
    "null updated_at": (lambda f: set_where(f, ANY, updated_at=None), (NOT_NULL, "updated_at")),
    "null category on a live document": (
        lambda f: set_where(f, LIVE & OPEN, category=None), (NOT_NULL, "category")),
    "null received_at on a live document": (
        lambda f: set_where(f, LIVE & OPEN, received_at=None), (NOT_NULL, "received_at")),
    "received_at 2 days in the future": (
        lambda f: set_where(f, LIVE & OPEN, received_at=ANCHOR + timedelta(days=2)),
        (BETWEEN, "received_at")),
    "PROCESSED without processed_at": (
        lambda f: set_where(f, PROCESSED, processed_at=None), (NOT_NULL, "processed_at")),
    "processed_at on a QUEUED document": (
        lambda f: f.pipe(lambda g: set_where(
            g, OPEN, accounting_status="QUEUED",
            processed_at=g.filter(OPEN)["updated_at"][0])),
        (BE_NULL, "processed_at")),
    "processed_at on a document without status (OTHER)": (
        lambda f: f.pipe(lambda g: set_where(
            g, OTHER, processed_at=g.filter(OTHER)["updated_at"][0])),
        (BE_NULL, "processed_at")),
    "no accounting_status on a live invoice": (
        lambda f: set_where(f, LIVE & OPEN, accounting_status=None),
        (NOT_NULL, "accounting_status")),
    "accounting_status on an OTHER document": (
        lambda f: set_where(f, OTHER, accounting_status="QUEUED"),
        (BE_NULL, "accounting_status")),
    "amount with a decimal comma": (
        lambda f: set_where(f, pl.col("total_incl_vat").is_not_null(), total_incl_vat="12,50"),
        (REGEX, "total_incl_vat")),
    "vat_amount not a number": (
        lambda f: set_where(f, pl.col("vat_amount").is_not_null(), vat_amount="n/a"),
        (REGEX, "vat_amount")),
    "document_id not a UUID": (
        lambda f: set_where(f, ANY, document_id="doc-1"), (REGEX, "document_id")),
    "currency not an ISO code": (
        lambda f: set_where(f, pl.col("currency").is_not_null(), currency="euro"),
        (REGEX, "currency")),
    "processed before received": (
        lambda f: f.pipe(lambda g: set_where(
            g, PROCESSED, processed_at=g.filter(PROCESSED)["received_at"][0] - timedelta(days=1))),
        (PAIR, "processed_at,received_at")),
    "updated before created": (
        lambda f: f.pipe(lambda g: set_where(
            g, ANY, created_at=g["updated_at"][0] + timedelta(days=1))),
        (PAIR, "updated_at,created_at")),
    "empty _raw": (lambda f: set_where(f, ANY, _raw=""), (REGEX, "_raw")),
    "null _raw": (lambda f: set_where(f, ANY, _raw=None), (NOT_NULL, "_raw")),
    "a landed column missing": (lambda f: f.drop("counterparty_name"), (COLUMNS, None)),
    "a column the landing does not write": (
        lambda f: f.with_columns(source_reference=pl.lit("x")), (COLUMNS, None)),
    "issue_date as text": (
        lambda f: f.with_columns(pl.col("issue_date").cast(pl.String)), (OF_TYPE, "issue_date")),
}


def test_a_real_landed_batch_passes(landed):
    frame = landed.documents
    # The batch exercises the conditional rules: tombstones without category, OTHER without
    # status, processed and open documents.
    assert frame.filter(~LIVE & pl.col("category").is_null()).height > 0
    assert frame.filter(OTHER).height > 0
    assert frame.filter(PROCESSED).height > 0 and frame.filter(OPEN).height > 0
    outcome = validate_frame(SUITE, frame, PARAMETERS)
    assert outcome.success, outcome.to_dict()
    expected = len(json.loads((SUITES_DIR / f"{SUITE}.json").read_text())["expectations"])
    assert outcome.evaluated == expected
    assert outcome.failed == []


@pytest.mark.parametrize("case", list(CASES))
def test_each_defect_fails_its_expectation(landed, case):
    corrupt, expected = CASES[case]
    outcome = validate_frame(SUITE, corrupt(landed.documents), PARAMETERS)
    assert not outcome.success
    assert failures(outcome) == {expected}, outcome.to_dict()


def test_timestamps_written_as_text_fail_the_type_rule(landed):
    frame = landed.documents.with_columns(pl.col("updated_at").dt.to_string("%Y-%m-%dT%H:%M:%S"))
    outcome = validate_frame(SUITE, frame, PARAMETERS)
    # The orderings that involve updated_at cannot be evaluated on text either.
    assert (OF_TYPE, "updated_at") in failures(outcome)
    assert not outcome.success


def test_failed_expectations_carry_counts_and_a_readable_detail(landed):
    frame = landed.documents
    bad = frame.with_columns(total_incl_vat=pl.when(pl.int_range(pl.len()) < 3)
                             .then(pl.lit("1.234,56")).otherwise(pl.col("total_incl_vat")))
    (failure,) = validate_frame(SUITE, bad, PARAMETERS).failed
    assert failure.unexpected_count == 3
    assert failure.element_count == frame.height
    assert "decimal number" in failure.detail and "1.234,56" in failure.detail


def test_the_received_at_bound_is_a_parameter(landed):
    frame = landed.documents
    latest = frame["received_at"].max()
    assert validate_frame(SUITE, frame, {"max_received_at": latest}).success
    outcome = validate_frame(SUITE, frame, {"max_received_at": latest - timedelta(seconds=1)})
    assert failures(outcome) == {(BETWEEN, "received_at")}
    with pytest.raises(ValueError, match="max_received_at"):
        validate_frame(SUITE, frame)
