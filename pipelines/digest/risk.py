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

from pipelines.read_model.connection import Reader
from pipelines.read_model.queries import THROUGHPUT_DAYS, filing_periods_with_open_documents
from pipelines.read_model.scope import Scope

LATE_AT_PACE = "late_at_pace"
NO_RECENT_THROUGHPUT = "no_recent_throughput"
DEADLINE_NEAR = "deadline_near"

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
    rows = filing_periods_with_open_documents(reader, scope, today)
    found = [risk for row in rows if (risk := _assess(row, today, within_days))]
    return sorted(found, key=lambda r: (r["filing_deadline"], -r["open_in_filing_period"],
                                        r["client_name"], r["client_id"]))
