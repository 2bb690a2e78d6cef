"""dbt build on a landing zone written by the real extraction; incremental equals full refresh."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import yaml

from pipelines.landing.zone import LandingZone
from tests.dbt.support import DBT_PROJECT, INCREMENTAL_MODELS, MARTS, table_differences

# The columns each mart must have, copied from the output contract (docs/marts.md).
CONTRACT_COLUMNS = {
    "dim_clients": "client_id, client_name, country, vat_number, link_status, is_active, "
                   "vat_filing_frequency, vat_deadline_day",
    "dim_team_members": "user_id, email, display_name, roles, is_active",
    "bridge_team_member_clients": "user_id, client_id, access_level",
    "fct_documents": "document_id, client_id, category, document_type, accounting_status, "
                     "insights_status, activity_date, issue_date, received_at, received_date, "
                     "processed_at, processed_date, processed_by, hours_to_process, "
                     "open_age_days, vat_period_start, action_url",
    "fct_client_category_daily": "client_id, category, activity_date, documents_total, "
                                 "documents_processed, documents_accountant_action_needed, "
                                 "documents_client_action_needed, action_url",
    "fct_client_backlog_daily": "client_id, category, calendar_date, received_count, "
                                "processed_count, open_accountant_action_eod, "
                                "open_client_action_eod",
    "mart_client_overview": "client_id, client_name, country, vat_filing_frequency, "
                            "documents_total, documents_processed, "
                            "documents_accountant_action_needed, documents_client_action_needed, "
                            "oldest_open_accountant_action_days, filing_period_start, "
                            "filing_period_end, filing_deadline, days_to_filing_deadline, "
                            "open_in_filing_period, priority_score, priority_rank, "
                            "assigned_team_members, data_as_of",
    "mart_vat_period_progress": "client_id, vat_period_start, vat_period_end, filing_deadline, "
                                "documents_total, documents_processed, processed_by_deadline, "
                                "documents_open, pct_processed, median_hours_to_process, "
                                "p90_hours_to_process, period_state",
    "mart_team_member_workload": "user_id, display_name, assigned_clients, "
                                 "open_accountant_action, open_client_action, "
                                 "oldest_open_accountant_action_days, processed_last_30_days",
}


def test_every_build_succeeds_with_its_data_and_unit_tests(history):
    assert len(history.builds) == 4
    for number, (ok, nodes) in enumerate(zip(history.build_ok, history.builds, strict=True)):
        failed = {name: status for name, status in nodes.items()
                  if status not in ("success", "pass")}
        assert ok and not failed, f"build {number + 1}: {failed}"
    last = history.builds[-1]
    unit_tests = [name for name in last if "::" in name]
    assert len(unit_tests) >= 7
    assert any(name.startswith("assert_") for name in last), "the singular tests did not run"
    assert sum(1 for name in last if name.startswith(("unique", "not_null", "accepted",
                                                      "relationships"))) > 50


def test_every_mart_is_in_schema_marts_with_the_contract_columns(history):
    columns = history.incremental.query(
        "select table_schema, table_name, column_name from information_schema.columns"
    )
    marts = columns.filter(pl.col("table_schema") == "marts")
    assert set(marts["table_name"]) == set(MARTS)
    documented = {
        model["name"]: [column["name"] for column in model["columns"]]
        for model in yaml.safe_load(
            (DBT_PROJECT / "models" / "marts" / "_marts__models.yml").read_text()
        )["models"]
    }
    for mart, required in CONTRACT_COLUMNS.items():
        actual = marts.filter(pl.col("table_name") == mart)["column_name"].to_list()
        missing = [c.strip() for c in required.split(",") if c.strip() not in actual]
        assert not missing, f"{mart} lacks {missing}"
        assert actual == documented[mart], f"{mart} differs from its documented contract"


def test_marts_hold_figures(history):
    counts = {mart: history.incremental.query(f"select count(*) as n from marts.{mart}")["n"][0]
              for mart in MARTS}
    assert all(count > 0 for count in counts.values()), counts
    as_of = history.incremental.query("select distinct data_as_of from marts.mart_client_overview")
    assert as_of["data_as_of"].to_list() == [history.as_of]


def test_the_history_covers_the_changes_an_incremental_run_must_handle(history):
    landed = LandingZone(history.landing).scan_documents().collect()
    batches = sorted(landed["_batch_id"].unique())
    later = landed.filter(pl.col("_batch_id") > batches[0])
    history_of = landed.sort("updated_at").group_by("document_id", maintain_order=True)
    statuses = history_of.agg(pl.col("accounting_status"), pl.col("_batch_id"))
    def reopens(sequence) -> bool:
        return any(a == "PROCESSED" and b not in (None, "PROCESSED")
                   for a, b in zip(sequence, sequence[1:], strict=False))

    reopened = statuses.filter(
        pl.col("accounting_status").map_elements(reopens, return_dtype=pl.Boolean)
    )
    first = set(landed.filter(pl.col("_batch_id") == batches[0])["document_id"])
    assert later.filter(pl.col("deleted_at").is_not_null()).height > 0, "no deletion"
    assert any(d in first for d in later["document_id"]), "no change of a known document"
    assert any(d not in first for d in later["document_id"]), "no new document"
    assert reopened.height > 0, "no re-opened document"
    assert history.reopened["document_id"] in set(reopened["document_id"])
    late = landed.filter(pl.col("document_id") == history.late_commit["document_id"])
    assert late.filter(pl.col("updated_at") == history.late_commit["updated_at"]).height >= 1, \
        "the late commit never landed"
    assert history.relanded_file is not None and history.relanded_file.exists()
    duplicates = landed.group_by("document_id", "updated_at").len().filter(pl.col("len") > 1)
    assert duplicates.height > 0, "no version was landed twice"


def test_the_backlog_merge_recomputes_from_the_earliest_change_only(history):
    """After the first build the backlog is merged: a client x category is recomputed from
    the earliest day its documents' changes differ (or the new days), so no build replaces
    every key whole, some keys are kept untouched or recomputed from a later day only, and
    the changes of the history (new versions, a late commit, a re-opening) start days before
    the as-of date. Together with test_incremental_runs_equal_a_full_refresh this shows the
    merge, not a fallback to a full rebuild, gives the same figures."""
    first_day = date(1, 1, 1)
    reached_back = 0
    for number, merges in enumerate(history.backlog_merges[1:], start=2):
        assert merges.height > 0
        whole = merges.filter(pl.col("replace_from") == first_day).height
        assert whole < merges.height, f"build {number} recomputed all {whole} keys whole"
        partial = merges.filter(pl.col("replace_from").is_null()
                                | (pl.col("replace_from") > first_day))
        assert partial.height > 0, f"build {number} kept no earlier day of any key"
        dates = merges.filter(pl.col("replace_from") > first_day)["replace_from"]
        if dates.len() and dates.n_unique() > 1:
            reached_back += 1
    assert reached_back > 0, "no build recomputed keys from different earliest days"


@pytest.mark.parametrize("relation", [f"marts.{m}" for m in MARTS]
                         + [f"main.{m}" for m in INCREMENTAL_MODELS])
def test_incremental_runs_equal_a_full_refresh(history, full_refresh, relation):
    rows, only_incremental, only_full = table_differences(
        history.incremental.path, full_refresh.path, relation
    )
    assert rows > 0
    assert (only_incremental, only_full) == (0, 0), (
        f"{relation}: {only_incremental} rows only in the incremental build, "
        f"{only_full} only in the full refresh"
    )
