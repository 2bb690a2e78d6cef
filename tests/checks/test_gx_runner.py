"""The suite files and the runner: format, agreement with the landing schema, API, quietness."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import great_expectations as gx
import pandas as pd
import polars as pl
import pytest

from pipelines.checks.gx_suites import (
    SUITES_DIR,
    SuiteOutcome,
    load_suite,
    suite_names,
    to_pandas,
    validate_frame,
)
from pipelines.landing.records import ENTITY_FIELDS, landed_schema
from tests.checks.support import set_where

LANDED = ["landed_assignments", "landed_documents", "landed_spaces", "landed_users"]
MARTS = ["fct_client_category_daily", "mart_client_overview", "mart_vat_period_progress"]
FAR_FUTURE = {"max_received_at": datetime(2100, 1, 1, tzinfo=UTC)}


def _document(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text())


def test_every_suite_file_is_a_gx_suite_that_round_trips():
    assert suite_names() == sorted(LANDED + MARTS)
    for name in suite_names():
        suite = load_suite(name)
        assert isinstance(suite, gx.ExpectationSuite)
        assert suite.name == name
        written = suite.to_json_dict()
        written.pop("id", None)
        assert written == _document(name), f"{name}.json is not in to_json_dict() form"
        for expectation in _document(name)["expectations"]:
            assert expectation["meta"]["rule"], "every expectation states its rule"


@pytest.mark.parametrize("entity", list(ENTITY_FIELDS))
def test_landed_suites_agree_with_the_landing_schema(entity):
    expectations = _document(f"landed_{entity}")["expectations"]
    (columns,) = [e["kwargs"] for e in expectations
                  if e["type"] == "expect_table_columns_to_match_set"]
    assert columns["column_set"] == list(landed_schema(entity))
    assert columns.get("exact_match", True) is True  # GX leaves the default out of the file
    value_sets = {e["kwargs"]["column"]: tuple(e["kwargs"]["value_set"]) for e in expectations
                  if e["type"] == "expect_column_values_to_be_in_set"
                  and "row_condition" not in e["kwargs"]}
    for field in ENTITY_FIELDS[entity]:
        if field.kind == "enum":
            assert value_sets[field.name] == field.values, field.name
        if field.required:
            assert any(e["type"] == "expect_column_values_to_not_be_null"
                       and e["kwargs"] == {"column": field.name} for e in expectations), field.name


@pytest.mark.parametrize("entity", list(ENTITY_FIELDS))
def test_an_empty_landed_batch_passes(entity):
    empty = pl.DataFrame(schema=landed_schema(entity))
    assert validate_frame(f"landed_{entity}", empty, FAR_FUTURE).success


def test_frames_reach_gx_with_arrow_types():
    frame = pl.DataFrame(
        {"at": [datetime(2026, 3, 29, 1, 30, tzinfo=UTC), None], "day": [None, None],
         "n": [1, None], "roles": [["ACCOUNTANT", "ADMINISTRATOR"], []]},
        schema={"at": pl.Datetime("us", "UTC"), "day": pl.Date, "n": pl.Int64,
                "roles": pl.List(pl.String)},
    )
    data = to_pandas(frame)
    assert str(data["at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert data["at"][0] == pd.Timestamp("2026-03-29T01:30:00Z")
    assert str(data["n"].dtype) == "int64[pyarrow]"  # not float64 because of the null
    assert str(data["day"].dtype) == "date32[day][pyarrow]"
    assert data["roles"].tolist() == ["ACCOUNTANT,ADMINISTRATOR", ""]


def test_the_outcome_is_small_and_json_serialisable(landed):
    future = landed.documents["received_at"].max() + timedelta(days=2)
    bad = set_where(landed.documents, pl.col("accounting_status") == "READY_TO_PROCESS",
                    received_at=future, category="BOGUS")
    outcome = validate_frame("landed_documents", bad,
                             {"max_received_at": future - timedelta(days=1)})
    assert isinstance(outcome, SuiteOutcome)
    data = json.loads(json.dumps(outcome.to_dict()))
    assert data["suite"] == "landed_documents" and data["success"] is False
    assert data["evaluated"] == len(_document("landed_documents")["expectations"])
    by_column = {f["column"]: f for f in data["failed"]}
    assert set(by_column) == {"category", "received_at"}
    assert by_column["received_at"]["unexpected_count"] == 1
    assert future.date().isoformat() in by_column["received_at"]["detail"]
    assert "BOGUS" in by_column["category"]["detail"]
    assert sorted(outcome.failed_names()) == [
        "expect_column_values_to_be_between(received_at)",
        "expect_column_values_to_be_in_set(category)",
    ]


def test_missing_parameters_and_unknown_suites_are_errors(landed):
    with pytest.raises(ValueError, match="max_received_at"):
        validate_frame("landed_documents", landed.documents, {"max_received": 1})
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_frame("landed_documents", landed.documents,
                       {"max_received_at": datetime(2026, 6, 15, 12, 5)})
    with pytest.raises(KeyError, match="no_such_suite"):
        validate_frame("no_such_suite", landed.documents)


def test_validation_prints_nothing(landed, capfd):
    validate_frame("landed_users", landed.users)
    validate_frame("landed_documents", landed.documents, FAR_FUTURE)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_load_suite_returns_an_independent_copy():
    suite = load_suite("landed_users")
    suite.expectations.clear()
    assert len(load_suite("landed_users").expectations) == len(
        _document("landed_users")["expectations"])
