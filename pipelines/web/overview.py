"""The firm-wide overview: one row per client the member may see, with the four counts of the
Insights view for a date range, a totals row, sorted on any column; also as CSV.

The counts are sums of fct_client_category_daily over the range, exactly as the one-client
view sums them (total counts OTHER too, the status counts do not), so a row here equals the
totals of that client's own view for the same range. With the preset "vat_period" each client
is summed over its own filing period (this month for clients that file no VAT, as the
one-client view does)."""

from __future__ import annotations

import csv
import io
from datetime import date

from pipelines.read_model.connection import Reader
from pipelines.read_model.queries import COUNTS, overview_counts
from pipelines.read_model.scope import Scope
from pipelines.web.dates import preset_range
from pipelines.web.views import resolve_range

SORTABLE = ("client_name", *COUNTS)
CSV_COLUMNS = ("client_id", "client_name", "range_start", "range_end", *COUNTS)

def overview(reader: Reader, scope: Scope, today: date, preset: str, start: str | None,
             end: str | None, sort: str | None = None, order: str | None = None) -> dict:
    if preset == "vat_period":
        span = preset_range("this_month", today)  # the fallback of clients without VAT
    else:
        preset, span = resolve_range(preset, start, end, today, None)
    sort = sort if sort in SORTABLE else "client_name"
    descending = order == "desc"
    rows = (overview_counts(reader, scope, span, own_filing_period=preset == "vat_period")
            if scope.clients else [])
    # ties (and the name column itself) keep a stable order by name, then id
    rows.sort(key=lambda r: (r["client_name"], r["client_id"]))
    rows.sort(key=lambda r: r[sort], reverse=descending)
    totals = {column: sum(row[column] for row in rows) for column in COUNTS}
    return {"preset": preset,
            "start": None if preset == "vat_period" else span[0],
            "end": None if preset == "vat_period" else span[1],
            "sort": sort, "order": "desc" if descending else "asc",
            "clients": rows, "totals": totals}


def overview_csv(data: dict) -> str:
    """The overview's client rows as CSV (no totals row: every row is one client)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    for row in data["clients"]:
        writer.writerow(row)
    return out.getvalue()
