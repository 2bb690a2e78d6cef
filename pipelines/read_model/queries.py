"""Every query of the published marts. A member-facing function takes the member's Scope, so
no query runs outside the member's clients (scope.py). Portable SQL for DuckDB and PostgreSQL
(`?` placeholders, no `%` literals, dates as parameters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.read_model.connection import Database, Reader, ServingUnavailable
from pipelines.read_model.scope import Scope
from pipelines.vocabulary import CATEGORIES, TOTAL_ONLY_CATEGORIES

COUNTS = ("documents_total", "documents_processed", "documents_accountant_action_needed",
          "documents_client_action_needed")
ACTION_COUNTS = ("documents_accountant_action_needed", "documents_client_action_needed")
THROUGHPUT_DAYS = 14  # the window of "recent throughput" behind the VAT forecast


def data_as_of(reader: Reader) -> datetime | None:
    row = reader.one("select max(data_as_of) as as_of from marts.mart_client_overview")
    return row["as_of"] if row else None


def data_as_of_in(path: Path) -> datetime | None:
    """The as-of instant of the marts in a DuckDB file (the serving catalog, or the warehouse
    before it is published), in UTC; None when there is no such file yet."""
    try:
        with Database(path).open() as reader:
            value = data_as_of(reader)
    except ServingUnavailable:
        return None
    return value.astimezone(UTC) if value else None


def whole_mart(path: Path, mart: str):
    """Every row of one mart of a DuckDB file, for the mart suites (before the publish)."""
    import polars as pl  # only the checks need it, not the page

    with duckdb.connect(str(path), read_only=True) as con:
        return pl.from_arrow(con.sql(f'select * from marts."{mart}"').to_arrow_table())


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
            if category in TOTAL_ONLY_CATEGORIES and column != "documents_total":
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


def active_members_with_documents(reader: Reader) -> list[str]:
    """Members who see client documents (the digest's recipients), by e-mail."""
    return [row["user_id"] for row in reader.rows(
        "select user_id from marts.dim_team_members"
        " where is_active and sees_client_documents order by email, user_id")]


_OVERVIEW_SQL = """
with ranges as (
    select client_id, {range_start} as range_start, {range_end} as range_end
    from marts.mart_client_overview where {where}
)
select ranges.client_id, ranges.range_start, ranges.range_end,
    coalesce(sum(daily.documents_total), 0) as documents_total,
    coalesce(sum(daily.documents_processed), 0) as documents_processed,
    coalesce(sum(daily.documents_accountant_action_needed), 0)
        as documents_accountant_action_needed,
    coalesce(sum(daily.documents_client_action_needed), 0) as documents_client_action_needed
from ranges
left join marts.fct_client_category_daily daily
    on daily.client_id = ranges.client_id
    and daily.activity_date >= ranges.range_start and daily.activity_date <= ranges.range_end
group by ranges.client_id, ranges.range_start, ranges.range_end
"""


def overview_counts(reader: Reader, scope: Scope, span: tuple[date, date], *,
                    own_filing_period: bool) -> list[dict]:
    """The four counts of each of the scope's clients summed over a date range (zeros where
    nothing matches), unsorted; `own_filing_period` sums each client over its own filing
    period instead, `span` standing in for clients that file no VAT."""
    where, ids = scope.in_clause()
    if own_filing_period:
        range_start = "coalesce(filing_period_start, cast(? as date))"
        range_end = "coalesce(filing_period_end, cast(? as date))"
    else:
        range_start = range_end = "cast(? as date)"
    rows = reader.rows(
        _OVERVIEW_SQL.format(range_start=range_start, range_end=range_end, where=where),
        [span[0], span[1], *ids])
    for row in rows:
        row["client_name"] = scope.clients[row["client_id"]]
        for column in COUNTS:
            row[column] = int(row[column])
    return rows


_RISK_CANDIDATES_SQL = """
select o.client_id, o.client_name, o.filing_period_start, o.filing_period_end,
    o.filing_deadline, o.days_to_filing_deadline, o.open_in_filing_period,
    coalesce(pace.processed, 0) as processed_recently
from marts.mart_client_overview o
left join (
    select client_id, sum(processed_count) as processed
    from marts.fct_client_backlog_daily
    where calendar_date > ? and calendar_date <= ?
    group by client_id
) pace on pace.client_id = o.client_id
where o.open_in_filing_period > 0 and o.filing_deadline is not null and {where}
"""


def filing_periods_with_open_documents(reader: Reader, scope: Scope,
                                       as_of_date: date) -> list[dict]:
    """The scope's clients whose filing period still has open documents, with what they
    processed over the last THROUGHPUT_DAYS days (the digest's risk rule decides on these)."""
    if not scope.clients:
        return []
    where, ids = scope.in_clause("o.client_id")
    return reader.rows(_RISK_CANDIDATES_SQL.format(where=where),
                       [as_of_date - timedelta(days=THROUGHPUT_DAYS), as_of_date, *ids])


def serving_totals(reader: Reader, top: int) -> dict:
    """The refresh summary's figures: the as-of instant, client and document counts, and the
    `top` clients needing attention first (firm-wide: the summary is the operator's)."""
    counts = reader.one(
        "select (select count(*) from marts.mart_client_overview) as active_clients,"
        " (select count(*) from marts.dim_clients) as all_clients,"
        " (select count(*) from marts.fct_documents) as documents")
    attention_rows = reader.rows(
        "select priority_rank, client_name, documents_accountant_action_needed,"
        " oldest_open_accountant_action_days, days_to_filing_deadline, priority_score"
        " from marts.mart_client_overview order by priority_rank limit ?", [top])
    return {"as_of": data_as_of(reader), **counts, "attention": attention_rows}


ACCESS_AUDIT_COLUMNS = ("email", "display_name", "client_id", "client_name", "access_level",
                        "can_see_client_data", "access_reason")


def access_audit(reader: Reader, *, member: str | None = None, client: str | None = None,
                 include_denied: bool = False) -> list[dict]:
    """Rows of mart_client_access_audit: one member (e-mail or id), clients matching a name or
    id, and only access that sees client data unless `include_denied`."""
    conditions, parameters = [], []
    if member:
        conditions.append("(lower(email) = lower(?) or user_id = ?)")
        parameters += [member, member]
    if client:
        conditions.append("(client_id = ? or client_name ilike ?)")
        parameters += [client, f"%{client}%"]
    if not include_denied:
        conditions.append("can_see_client_data")
    where = f"where {' and '.join(conditions)}" if conditions else ""
    return reader.rows(
        f"select user_id, {', '.join(ACCESS_AUDIT_COLUMNS)}, member_is_active "
        f"from marts.mart_client_access_audit {where} "
        "order by email, client_name, client_id", parameters)


def team_members(reader: Reader) -> list[dict]:
    """Every member, assigned or not, active or not."""
    return reader.rows(
        "select user_id, email, is_active from marts.dim_team_members order by email")


def member_states(reader: Reader) -> list[tuple[str, bool, bool]]:
    """(user_id, is_active, sees_client_documents) of every member: the PostgreSQL publish
    keeps one database role per member in step with these."""
    return [(row["user_id"], row["is_active"], row["sees_client_documents"])
            for row in reader.rows("select user_id, is_active, sees_client_documents"
                                   " from marts.dim_team_members")]
