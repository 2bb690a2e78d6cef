"""What each view reads from the marts. Every function takes the member's Scope, so no query
runs outside the member's clients (see access.py). Portable SQL for DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pipelines.web.access import Scope
from pipelines.web.db import Reader

CATEGORIES = ("SALES_INVOICE", "PURCHASE_INVOICE", "PURCHASE_RECEIPT",
              "ENRICHED_MOVEMENT_REPORT", "OTHER")
TOTAL_ONLY = {"OTHER"}  # shown as a total only: no accounting status
COUNTS = ("documents_total", "documents_processed", "documents_accountant_action_needed",
          "documents_client_action_needed")
ACTION_COUNTS = ("documents_accountant_action_needed", "documents_client_action_needed")
THROUGHPUT_DAYS = 14  # the window of "recent throughput" behind the VAT forecast


def data_as_of(reader: Reader) -> datetime | None:
    row = reader.one("select max(data_as_of) as as_of from marts.mart_client_overview")
    return row["as_of"] if row else None


def client_overview(reader: Reader, scope: Scope, client_id: str) -> dict | None:
    return reader.one("select * from marts.mart_client_overview where client_id = ?",
                      [scope.require(client_id)])


def category_counts(reader: Reader, scope: Scope, client_id: str, start: date,
                    end: date) -> dict:
    """Counts per category (sums of fct_client_category_daily over start..end inclusive),
    their totals, and each category's "Go to documents" link."""
    scope.require(client_id)
    sums = reader.rows(
        "select category, sum(documents_total) as documents_total,"
        " sum(documents_processed) as documents_processed,"
        " sum(documents_accountant_action_needed) as documents_accountant_action_needed,"
        " sum(documents_client_action_needed) as documents_client_action_needed"
        " from marts.fct_client_category_daily"
        " where client_id = ? and activity_date >= ? and activity_date <= ?"
        " group by category", [client_id, start, end])
    links = reader.rows(
        "select category, max(action_url) as action_url,"
        " max(action_url_accountant_action_needed) as documents_accountant_action_needed,"
        " max(action_url_client_action_needed) as documents_client_action_needed"
        " from marts.fct_client_category_daily where client_id = ? group by category",
        [client_id])
    by_category = {row["category"]: row for row in sums}
    url = {row["category"]: row for row in links}
    rows = []
    for category in CATEGORIES:
        found, link = by_category.get(category, {}), url.get(category, {})
        # "Go to documents" is the category's link; each count asking for action links to
        # the same documents filtered on that status (both computed in the marts)
        row = {"category": category, "action_url": link.get("action_url"),
               "status_urls": {column: link.get(column) for column in ACTION_COUNTS}}
        for column in COUNTS:
            if category in TOTAL_ONLY and column != "documents_total":
                row[column] = None
            else:
                row[column] = int(found.get(column) or 0)
        rows.append(row)
    totals = {column: sum(r[column] or 0 for r in rows) for column in COUNTS}
    return {"categories": rows, "totals": totals}


def attention(reader: Reader, scope: Scope) -> list[dict]:
    """The member's clients by priority, with the score's parts and the oldest waiting document."""
    where, params = scope.in_clause()
    rows = reader.rows(
        "select client_id, client_name, priority_rank, priority_score, priority_age_factor,"
        " priority_deadline_factor,"
        " documents_accountant_action_needed, oldest_open_accountant_action_days,"
        " filing_deadline, days_to_filing_deadline, documents_client_action_needed"
        f" from marts.mart_client_overview where {where} order by priority_rank", params)
    where_docs, params_docs = scope.in_clause("client_id")
    oldest = reader.rows(
        "select client_id, document_id, received_date, open_age_days, action_url from ("
        " select client_id, document_id, received_date, open_age_days, action_url,"
        "  row_number() over (partition by client_id"
        "   order by received_at, document_id) as position"
        " from marts.fct_documents"
        f" where insights_status = 'accountant_action_needed' and {where_docs}) ranked"
        " where position = 1", params_docs)
    oldest_by_client = {row["client_id"]: row for row in oldest}
    for position, row in enumerate(rows, start=1):
        row["position"] = position
        row["oldest"] = oldest_by_client.get(row["client_id"])
    return rows


def vat_periods(reader: Reader, scope: Scope, client_id: str) -> list[dict]:
    return reader.rows(
        "select vat_period_start, vat_period_end, filing_deadline, documents_total,"
        " documents_processed, processed_by_deadline, documents_open, pct_processed,"
        " median_hours_to_process, p90_hours_to_process, period_state"
        " from marts.mart_vat_period_progress where client_id = ?"
        " order by vat_period_start desc", [scope.require(client_id)])


def processed_per_day(reader: Reader, scope: Scope, client_id: str,
                      period_start: date) -> list[tuple[date, int]]:
    """Documents of one VAT period (OTHER excluded) processed on each day."""
    rows = reader.rows(
        "select processed_date as day, count(*) as processed from marts.fct_documents"
        " where client_id = ? and vat_period_start = ? and category <> 'OTHER'"
        " and insights_status = 'processed' group by processed_date order by processed_date",
        [scope.require(client_id), period_start])
    return [(row["day"], int(row["processed"])) for row in rows]


def recent_throughput(reader: Reader, scope: Scope, client_id: str, as_of_date: date) -> float:
    """Documents of the client processed per day over the last THROUGHPUT_DAYS days."""
    row = reader.one(
        "select coalesce(sum(processed_count), 0) as processed"
        " from marts.fct_client_backlog_daily"
        " where client_id = ? and calendar_date > ? and calendar_date <= ?",
        [scope.require(client_id), as_of_date - timedelta(days=THROUGHPUT_DAYS), as_of_date])
    return int(row["processed"]) / THROUGHPUT_DAYS


def backlog_series(reader: Reader, scope: Scope, client_id: str | None,
                   start: date) -> list[dict]:
    """Open documents at each day's end since `start`: one client, or all the member's.
    accountant / client are the reconstructed counts (equal to the observed ones from the
    start of observed history on); *_observed are the contract's observed counts, and
    `observed` says whether every client shown was observed at that day's end."""
    if client_id is None:
        where, params = scope.in_clause()
    else:
        where, params = "client_id = ?", [scope.require(client_id)]
    return reader.rows(
        "select calendar_date, sum(open_accountant_action_eod_reconstructed) as accountant,"
        " sum(open_client_action_eod_reconstructed) as client,"
        " sum(open_accountant_action_eod) as accountant_observed,"
        " sum(open_client_action_eod) as client_observed, sum(received_count) as received,"
        " sum(processed_count) as processed,"
        " min(case when is_history_observed then 1 else 0 end) = 1 as observed"
        " from marts.fct_client_backlog_daily"
        f" where {where} and calendar_date >= ? group by calendar_date order by calendar_date",
        [*params, start])


def active_members(reader: Reader) -> list[dict]:
    """For the demo picker only."""
    return reader.rows("select user_id, email, display_name, roles from marts.dim_team_members"
                       " where is_active order by display_name, user_id")
