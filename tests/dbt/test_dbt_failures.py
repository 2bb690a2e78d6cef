"""Every singular test, and the key generic ones, fail on corrupted data: none is vacuous.

Each case corrupts a copy of the built warehouse (or of the landing zone) and runs only the
test under scrutiny; the untouched warehouse passed the same tests in the build.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import polars as pl
import pytest

from pipelines.landing.zone import LandingZone
from tests.dbt.support import failures, statuses

CORRUPT_BATCH = "99991231T000000Z-corrupt"  # sorts after every real batch
ONE_DAILY_ROW = """(select client_id, category, activity_date from marts.fct_client_category_daily
    where category <> 'OTHER' order by all limit 1)"""
ONE_PERIOD = """(select client_id, vat_period_start from marts.mart_vat_period_progress
    order by all limit 1)"""
ONE_CLIENT = "(select client_id from marts.mart_client_overview order by client_id limit 1)"
AS_OF_BACKLOG_ROW = """(select client_id, category, calendar_date
    from marts.fct_client_backlog_daily
    where calendar_date = (select max(calendar_date) from marts.fct_client_backlog_daily)
    order by all limit 1)"""

CASES = {
    "assert_category_daily_sum_rule": [
        f"""update marts.fct_client_category_daily set documents_total = documents_total + 1
        where (client_id, category, activity_date) in {ONE_DAILY_ROW}""",
    ],
    "assert_category_daily_reconciles_with_fct_documents": [
        f"""delete from marts.fct_client_category_daily
        where (client_id, category, activity_date) in {ONE_DAILY_ROW}""",
    ],
    "assert_client_overview_reconciles_with_fct_documents": [
        f"""update marts.mart_client_overview set documents_accountant_action_needed =
        documents_accountant_action_needed + 1 where client_id in {ONE_CLIENT}""",
    ],
    "assert_vat_period_progress_reconciles_with_fct_documents": [
        f"""update marts.mart_vat_period_progress set documents_total = documents_total + 1
        where (client_id, vat_period_start) in {ONE_PERIOD}""",
    ],
    "assert_vat_period_pct_processed_within_unit_interval": [
        f"""update marts.mart_vat_period_progress set pct_processed = 1.5
        where (client_id, vat_period_start) in {ONE_PERIOD}""",
    ],
    "assert_backlog_on_as_of_date_equals_current_counts": [
        f"""update marts.fct_client_backlog_daily
        set open_client_action_eod = open_client_action_eod + 1
        where (client_id, category, calendar_date) in {AS_OF_BACKLOG_ROW}""",
    ],
    "assert_backlog_covers_every_open_document": [
        f"""update marts.fct_client_backlog_daily set received_count = received_count + 1
        where (client_id, category, calendar_date) in {AS_OF_BACKLOG_ROW}""",
    ],
    "unique_fct_documents_document_id": [
        """insert into marts.fct_documents
        select * from marts.fct_documents order by document_id limit 1""",
    ],
    "accepted_values_fct_documents_insights_status": [
        """update marts.fct_documents set insights_status = 'waiting'
        where document_id = (select min(document_id) from marts.fct_documents)""",
    ],
    "relationships_bridge_team_member_clients_client_id": [
        """insert into marts.bridge_team_member_clients
        select user_id, 'no-such-client', access_level, assigned_at
        from marts.bridge_team_member_clients limit 1""",
    ],
    "unique_combination_mart_vat_period_progress": [
        f"""insert into marts.mart_vat_period_progress select * from marts.mart_vat_period_progress
        where (client_id, vat_period_start) in {ONE_PERIOD}""",
    ],
}


@pytest.mark.parametrize("test_name", sorted(CASES))
def test_a_corrupted_mart_fails_its_test(history, tmp_path, test_name):
    warehouse = history.incremental.copy(tmp_path / "corrupted.duckdb")
    warehouse.execute(*CASES[test_name])
    selector = test_name if test_name.startswith("assert_") else _model_of(test_name)
    result = warehouse.dbt("test", "--select", selector, landing_dir=history.landing,
                           as_of=history.as_of)
    failed = failures(result)
    assert not result.success
    assert any(name.startswith(test_name) and status == "fail"
               for name, status in failed.items()), f"{test_name} did not fail: {statuses(result)}"


def _model_of(test_name: str) -> str:
    """A generic test is selected through its model (its generated name is long)."""
    for model in ("fct_documents", "bridge_team_member_clients", "mart_vat_period_progress"):
        if model in test_name:
            return model
    raise AssertionError(test_name)


def test_landed_records_that_fct_documents_lacks_fail_the_landing_reconciliation(
    history, tmp_path
):
    """A later landed batch re-opens a processed document and deletes a live one: the marts,
    not rebuilt, no longer match the landing zone."""
    landing = tmp_path / "landing"
    shutil.copytree(history.landing, landing)
    zone = LandingZone(landing)
    documents = zone.scan_documents().collect()
    live = history.incremental.query(
        "select document_id, accounting_status from marts.fct_documents order by document_id"
    )
    processed = live.filter(pl.col("accounting_status") == "PROCESSED")["document_id"][0]
    other = live.filter(pl.col("document_id") != processed)["document_id"][0]
    latest = documents.sort("updated_at").group_by("document_id").last()
    changed = latest.filter(pl.col("document_id").is_in([processed, other])).with_columns(
        updated_at=pl.lit(history.as_of - timedelta(seconds=1)).cast(documents["updated_at"].dtype),
        accounting_status=pl.when(pl.col("document_id") == processed)
        .then(pl.lit("READY_TO_PROCESS")).otherwise(pl.col("accounting_status")),
        deleted_at=pl.when(pl.col("document_id") == other)
        .then(pl.lit(history.as_of - timedelta(seconds=1)).cast(documents["deleted_at"].dtype)),
        _batch_id=pl.lit(CORRUPT_BATCH),
    ).select(documents.columns)
    space = changed["space_id"][0]
    # written behind the landing's back, as another writer might leave it
    changed.write_parquet(zone.documents_dir(space) / f"{CORRUPT_BATCH}.parquet")

    result = history.incremental.copy(tmp_path / "warehouse.duckdb").dbt(
        "test", "--select", "assert_fct_documents_reconciles_with_landing",
        landing_dir=landing, as_of=history.as_of,
    )
    assert failures(result) == {"assert_fct_documents_reconciles_with_landing": "fail"}


def test_an_invalid_landed_row_fails_the_staging_tests(history, tmp_path):
    """A landed document with an unknown category and no batch id fails the staging tests."""
    landing = tmp_path / "landing"
    shutil.copytree(history.landing, landing)
    zone = LandingZone(landing)
    documents = zone.scan_documents().collect()
    invalid = documents.head(1).with_columns(
        category=pl.lit("BANK_LETTER"), _batch_id=pl.lit(None, dtype=pl.String),
    )
    space = invalid["space_id"][0]
    invalid.write_parquet(zone.documents_dir(space) / f"{CORRUPT_BATCH}.parquet")

    warehouse = history.incremental.copy(tmp_path / "warehouse.duckdb")
    result = warehouse.dbt(
        "build", "--select", "stg_landing__documents", landing_dir=landing, as_of=history.as_of,
    )
    failed = failures(result)
    assert any(name.startswith("accepted_values_stg_landing__documents_category")
               for name in failed), failed
    # one test over all the model's required columns; its failing rows name the column
    (not_null,) = [r.node for r in result.result.results
                   if r.node.name.startswith("not_null_columns_stg_landing__documents")]
    assert not_null.name in failed, failed
    assert warehouse.query(not_null.compiled_code).rows() == [("batch_id", 1)]


def test_a_build_without_an_as_of_is_an_error(history, tmp_path, monkeypatch):
    """No layer picks its own "now": without the var and without INSIGHTS_RUN_AS_OF the models
    that need the as-of do not compile."""
    monkeypatch.delenv("INSIGHTS_RUN_AS_OF", raising=False)
    warehouse = history.incremental.copy(tmp_path / "no-as-of.duckdb")
    result = warehouse.dbt("build", "--select", "int_clients_current",
                           landing_dir=history.landing, as_of=None)
    assert not result.success
    nodes = result.result.results if result.result is not None else []
    messages = [str(result.exception), *(str(node.message) for node in nodes)]
    assert any("no as-of" in message for message in messages), messages
