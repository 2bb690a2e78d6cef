"""The date-range presets of the Insights view. "Today" is the as-of date of the data (the
local date of data_as_of), so the figures on screen describe the same instant as the marts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PRESETS = ("this_month", "last_month", "this_quarter", "vat_period", "this_year", "custom")


def as_of_date(as_of: datetime | None, timezone: str) -> date:
    if as_of is None:
        return datetime.now(ZoneInfo(timezone)).date()
    if as_of.tzinfo is None:  # naive values in the marts mean UTC
        as_of = as_of.replace(tzinfo=ZoneInfo("UTC"))
    return as_of.astimezone(ZoneInfo(timezone)).date()


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def preset_range(preset: str, today: date, vat_period: tuple[date, date] | None = None
                 ) -> tuple[date, date] | None:
    """(start, end), both inclusive; None when the preset does not apply (no VAT period)."""
    if preset == "this_month":
        return today.replace(day=1), _month_end(today)
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "this_quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = today.replace(month=first_month, day=1)
        return start, _month_end(start.replace(month=first_month + 2))
    if preset == "vat_period":
        return vat_period
    if preset == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    return None


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
