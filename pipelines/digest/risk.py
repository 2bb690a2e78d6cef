"""The one rule of "deadline risk", shared by the digest and the page's "Needs attention".

A client is at risk when its filing period still has open (non-OTHER, unprocessed) documents
and either
- at its recent throughput (documents processed per day over the last THROUGHPUT_DAYS days,
  the pace behind the VAT view's forecast) the open documents are not done by the filing
  deadline: forecast = as-of date + ceil(open / throughput), later than the deadline, or
  nothing was processed recently at all; or
- the filing deadline is at most `within_days` days away (INSIGHTS_DIGEST_DEADLINE_DAYS).
Clients that file no VAT (no filing period) are never listed.
"""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.web.access import Scope
from pipelines.web.db import Reader
from pipelines.web.queries import THROUGHPUT_DAYS

LATE_AT_PACE = "late_at_pace"
NO_RECENT_THROUGHPUT = "no_recent_throughput"
DEADLINE_NEAR = "deadline_near"

_CANDIDATES_SQL = """
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


def _assess(row: dict, today: date, within_days: int) -> dict | None:
    open_documents = int(row["open_in_filing_period"])
    processed = int(row["processed_recently"])
    throughput = processed / THROUGHPUT_DAYS
    # ceil(open / throughput) in whole numbers: a float quotient can land just above an integer
    forecast = (today + timedelta(days=-(-open_documents * THROUGHPUT_DAYS // processed))
                if processed > 0 else None)
    reasons = []
    if forecast is None:
        reasons.append(NO_RECENT_THROUGHPUT)
    elif forecast > row["filing_deadline"]:
        reasons.append(LATE_AT_PACE)
    if int(row["days_to_filing_deadline"]) <= within_days:
        reasons.append(DEADLINE_NEAR)
    if not reasons:
        return None
    # open documents per day needed to finish by the deadline (the deadline day included)
    days_left = max(int(row["days_to_filing_deadline"]), 0) + 1
    return {"client_id": row["client_id"], "client_name": row["client_name"],
            "filing_period_start": row["filing_period_start"],
            "filing_period_end": row["filing_period_end"],
            "filing_deadline": row["filing_deadline"],
            "days_to_filing_deadline": int(row["days_to_filing_deadline"]),
            "open_in_filing_period": open_documents,
            "throughput_per_day": round(throughput, 2),
            "needed_per_day": round(open_documents / days_left, 2),
            "forecast_finish": forecast, "reasons": reasons}


def clients_at_risk(reader: Reader, scope: Scope, today: date, within_days: int) -> list[dict]:
    """The scope's clients at deadline risk, the nearest deadline first."""
    if not scope.clients:
        return []
    where, ids = scope.in_clause("o.client_id")
    rows = reader.rows(_CANDIDATES_SQL.format(where=where),
                       [today - timedelta(days=THROUGHPUT_DAYS), today, *ids])
    found = [risk for row in rows if (risk := _assess(row, today, within_days))]
    return sorted(found, key=lambda r: (r["filing_deadline"], -r["open_in_filing_period"],
                                        r["client_name"], r["client_id"]))
