"""The figures of each view, as plain dicts: the HTML pages and the JSON endpoints share them."""

from __future__ import annotations

import math
from datetime import date, timedelta

from fastapi import HTTPException

from pipelines.digest.risk import clients_at_risk
from pipelines.read_model import queries
from pipelines.read_model.connection import Reader
from pipelines.read_model.scope import Scope
from pipelines.web import charts
from pipelines.web.dates import PRESETS, parse_day, preset_range

BACKLOG_DAYS = (30, 90, 365, 0)  # 0 = since the first day


def _client(scope: Scope, client: str | None) -> str | None:
    """The client asked for (404 when not the member's), else the member's first client."""
    if client:
        return scope.require(client)
    return next(iter(scope.clients), None)


def resolve_range(preset: str, start: str | None, end: str | None, today: date,
                  vat_period: tuple[date, date] | None) -> tuple[str, tuple[date, date]]:
    """The preset actually used and its (start, end); unknown or inapplicable -> this month."""
    preset = preset if preset in PRESETS else "this_month"
    if preset == "custom":
        first, last = parse_day(start), parse_day(end)
        span = (min(first, last), max(first, last)) if first and last else None
    else:
        span = preset_range(preset, today, vat_period)
    if span is None:  # a custom range without valid dates, or no VAT period (NONE filers)
        preset, span = "this_month", preset_range("this_month", today)
    return preset, span


def insights(reader: Reader, scope: Scope, today: date, client: str | None, preset: str,
             start: str | None, end: str | None) -> dict:
    client_id = _client(scope, client)
    if client_id is None:
        return {"client_id": None}
    overview = queries.client_overview(reader, scope, client_id) or {}
    vat_period = None
    if overview.get("filing_period_start"):
        vat_period = (overview["filing_period_start"], overview["filing_period_end"])
    preset, span = resolve_range(preset, start, end, today, vat_period)
    counts = queries.category_counts(reader, scope, client_id, *span)
    return {"client_id": client_id, "client_name": scope.clients[client_id], "preset": preset,
            "start": span[0], "end": span[1], "has_vat_period": vat_period is not None,
            **counts}


def attention(reader: Reader, scope: Scope, today: date, within_days: int) -> dict:
    """The ranking, and above it the same deadline-risk list as the member's digest."""
    return {"clients": queries.attention(reader, scope),
            "deadline_risk": clients_at_risk(reader, scope, today, within_days)}


def vat(reader: Reader, scope: Scope, today: date, client: str | None, period: str | None,
        labels: dict) -> dict:
    client_id = _client(scope, client)
    if client_id is None:
        return {"client_id": None}
    periods = queries.vat_periods(reader, scope, client_id)
    result = {"client_id": client_id, "client_name": scope.clients[client_id],
              "periods": periods, "selected": None}
    if not periods:
        if period:
            raise HTTPException(status_code=404, detail="not found")
        return result
    wanted = parse_day(period)
    if period and wanted is None:
        raise HTTPException(status_code=404, detail="not found")
    if wanted is None:
        overview = queries.client_overview(reader, scope, client_id) or {}
        wanted = overview.get("filing_period_start")
    selected = next((p for p in periods if p["vat_period_start"] == wanted), None)
    if selected is None and period:
        raise HTTPException(status_code=404, detail="not found")
    selected = selected or periods[0]
    per_day = queries.processed_per_day(reader, scope, client_id, selected["vat_period_start"])
    rate = queries.recent_throughput(reader, scope, client_id, today)
    # at the recent pace, the open documents are done after ceil(open / rate) more days
    open_documents, forecast = int(selected["documents_open"]), None
    if open_documents and rate > 0:
        forecast = today + timedelta(days=math.ceil(open_documents / rate))
    result.update(
        selected=selected, throughput=round(rate, 2), forecast=forecast,
        forecast_late=forecast is not None and forecast > selected["filing_deadline"],
        chart=charts.vat_chart(selected, per_day, today, forecast, labels["vat"]),
    )
    return result


def backlog(reader: Reader, scope: Scope, today: date, client: str | None, days: int,
            labels: dict) -> dict:
    client_id = None if client in (None, "", "all") else scope.require(client)
    days = days if days in BACKLOG_DAYS else 90
    start = today - timedelta(days=days - 1) if days else date(1900, 1, 1)
    series = queries.backlog_series(reader, scope, client_id, start) if scope.clients else []
    for row in series:
        for key in ("accountant", "client", "accountant_observed", "client_observed",
                    "received", "processed"):
            row[key] = int(row[key])
        row["observed"] = bool(row["observed"])
    # from this day on, every shown client's figures are observed; before it, reconstructed
    observed_from = None
    for row in reversed(series):
        if not row["observed"]:
            break
        observed_from = row["calendar_date"]
    return {"client_id": client_id, "days": days, "series": series,
            "last": series[-1] if series else None, "observed_from": observed_from,
            "chart": charts.backlog_chart(series, labels["backlog"], observed_from,
                                          labels["observed_from"])}
