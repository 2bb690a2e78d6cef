"""Each view in a real browser as two members: the figures on screen against the marts.
Playwright drives the Debian Chromium against the app served by uvicorn over one real refresh;
screenshots go to test-artifacts/screenshots/<view>-<member>.png (kept by CI)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page

from tests.published_firm import AS_OF_DATE
from tests.web.browser_support import page_for, shoot, text
from tests.web.conftest import marts_rows

COUNTS = ["documents_total", "documents_processed", "documents_accountant_action_needed",
          "documents_client_action_needed"]
CATEGORIES = ["SALES_INVOICE", "PURCHASE_INVOICE", "PURCHASE_RECEIPT",
              "ENRICHED_MOVEMENT_REPORT", "OTHER"]


def busiest_client(served, member) -> str:
    """The member's client with the most documents, so the figures are not all zero."""
    ids = sorted(member.clients)
    marks = ", ".join("?" for _ in ids)
    return marts_rows(served, f"select client_id from marts.mart_client_overview where client_id"
                              f" in ({marks}) order by documents_total desc, client_id", ids)[0][0]


# --- expected figures, straight from the marts -------------------------------------------------
def expected_counts(served, client_id: str, start: date, end: date) -> dict:
    rows = marts_rows(served, f"""
        select category, {", ".join(f"sum({c})" for c in COUNTS)}
        from marts.fct_client_category_daily
        where client_id = ? and activity_date between ? and ? group by category""",
                      [client_id, start, end])
    per = {category: dict(zip(COUNTS, values, strict=True)) for category, *values in rows}
    totals = {c: sum((per.get(cat, {}).get(c) or 0) for cat in CATEGORIES) for c in COUNTS}
    return {"per": per, "totals": totals}


def check_insights_figures(page: Page, served, client_id: str, start: date, end: date):
    assert page.locator("#range").get_attribute("data-start") == start.isoformat()
    assert page.locator("#range").get_attribute("data-end") == end.isoformat()
    expected = expected_counts(served, client_id, start, end)
    for column in COUNTS:
        assert text(page, f'[data-count="{column}"]') == str(expected["totals"][column]), column
    links = dict(marts_rows(served, "select category, max(action_url) from"
                                    " marts.fct_client_category_daily where client_id = ?"
                                    " group by category", [client_id]))
    for category in CATEGORIES:
        row = page.locator(f'tr[data-category="{category}"]')
        for column in COUNTS:
            want = expected["per"].get(category, {}).get(column)
            if category == "OTHER" and column != "documents_total":
                want = None
            elif want is None:
                want = 0
            shown = row.locator(f'td[data-col="{column}"]').inner_text().strip()
            assert shown == ("" if want is None else str(want)), (category, column)
        if category in links:
            assert row.locator("a.go").get_attribute("href") == links[category]
    return expected


# --- each view as two members ------------------------------------------------------------------
@pytest.mark.parametrize("which", [0, 1])
def test_insights_view(browser, app_url, served, accountants, which):
    member = accountants[which]
    client_id = busiest_client(served, member)
    page = page_for(browser, member)
    page.goto(f"{app_url}/insights")
    assert "2026-04-20 00:30" in text(page, "#data-as-of")
    page.select_option("#client", client_id)
    page.select_option("#preset", "this_year")
    page.click("form.filters button[type=submit]")
    assert page.locator("#client").input_value() == client_id
    year = check_insights_figures(page, served, client_id, date(2026, 1, 1), date(2026, 12, 31))
    assert year["totals"]["documents_total"] > 0
    shoot(page, f"insights-{member.slug}")
    # the other presets, then a custom range typed in
    page.select_option("#preset", "last_month")
    page.click("form.filters button[type=submit]")
    check_insights_figures(page, served, client_id, date(2026, 3, 1), date(2026, 3, 31))
    page.select_option("#preset", "this_quarter")
    page.click("form.filters button[type=submit]")
    check_insights_figures(page, served, client_id, date(2026, 4, 1), date(2026, 6, 30))
    (start, end), = marts_rows(served, "select filing_period_start, filing_period_end from"
                                       " marts.mart_client_overview where client_id = ?",
                               [client_id])
    if start is not None:
        page.select_option("#preset", "vat_period")
        page.click("form.filters button[type=submit]")
        check_insights_figures(page, served, client_id, start, end)
    page.fill("#start", "2026-02-10")
    page.fill("#end", "2026-03-20")
    assert page.locator("#preset").input_value() == "custom"
    page.click("form.filters button[type=submit]")
    check_insights_figures(page, served, client_id, date(2026, 2, 10), date(2026, 3, 20))
    # only the member's clients are offered
    offered = page.locator("#client option").evaluate_all("els => els.map(e => e.value)")
    assert offered[0] == "all"  # "All my clients": the firm-wide overview
    assert sorted(offered[1:]) == sorted(member.clients)


@pytest.mark.parametrize("which", [0, 1])
def test_needs_attention_view(browser, app_url, served, accountants, which):
    member = accountants[which]
    ids = sorted(member.clients)
    marks = ", ".join("?" for _ in ids)
    expected = marts_rows(served, f"""
        select client_id, priority_score, documents_accountant_action_needed,
               oldest_open_accountant_action_days, days_to_filing_deadline
        from marts.mart_client_overview where client_id in ({marks}) order by priority_rank""",
                          ids)
    page = page_for(browser, member)
    page.goto(f"{app_url}/attention")
    assert "2026-04-20 00:30" in text(page, "#data-as-of")
    rows = page.locator("table.attention tbody tr")
    assert rows.evaluate_all("els => els.map(e => e.dataset.client)") == [r[0] for r in expected]
    for index, (_client, score, backlog, oldest, days_left) in enumerate(expected):
        row = rows.nth(index)
        assert row.locator('[data-col="priority_score"]').inner_text() == f"{score:.2f}"
        assert row.locator('[data-col="backlog"]').inner_text() == str(backlog)
        age_factor = 1 + (oldest or 0) / 30
        assert row.locator('[data-col="age_factor"]').inner_text() == f"{age_factor:.2f}"
        shown_oldest = row.locator('[data-col="oldest"]').inner_text()
        assert shown_oldest.startswith(f"{oldest} ") if oldest is not None else shown_oldest == "–"
        shown_days = row.locator('[data-col="days_to_filing_deadline"]').inner_text()
        assert shown_days.split(" ")[0] == ("–" if days_left is None else str(days_left))
    shoot(page, f"attention-{member.slug}")
    first = expected[0][0]
    rows.nth(0).locator("a").first.click()
    assert page.locator("#client").input_value() == first


def check_vat_period(page: Page, served, client_id: str, period_start: date):
    assert page.locator("#progress").get_attribute("data-period") == period_start.isoformat()
    (total, processed, open_, deadline, state), = marts_rows(served, """
        select documents_total, documents_processed, documents_open, filing_deadline,
               period_state from marts.mart_vat_period_progress
        where client_id = ? and vat_period_start = ?""", [client_id, period_start])
    assert text(page, '#progress [data-col="documents_processed"]') == str(processed)
    assert text(page, '#progress [data-col="documents_total"]') == str(total)
    assert text(page, '#progress [data-col="filing_deadline"]') == deadline.isoformat()
    assert page.locator("svg.vat line.deadline").get_attribute("data-deadline") == \
        deadline.isoformat()
    (recent,), = marts_rows(served, """
        select coalesce(sum(processed_count), 0) from marts.fct_client_backlog_daily
        where client_id = ? and calendar_date > ? and calendar_date <= ?""",
                            [client_id, AS_OF_DATE - timedelta(days=14), AS_OF_DATE])
    forecast = text(page, '#progress [data-col="forecast"]')
    if state != "complete" and recent:
        days = math.ceil(open_ / (recent / 14))
        assert forecast == (AS_OF_DATE + timedelta(days=days)).isoformat()
    elif state != "complete":
        assert not forecast[:1].isdigit()


@pytest.mark.parametrize("which", [0, 1])
def test_vat_period_view(browser, app_url, served, accountants, which):
    member = accountants[which]
    client_id = busiest_client(served, member)
    page = page_for(browser, member)
    page.goto(f"{app_url}/vat")
    assert "2026-04-20 00:30" in text(page, "#data-as-of")
    page.select_option("#client", client_id)
    page.click("form.filters button[type=submit]")
    periods = [p for (p,) in marts_rows(served, "select vat_period_start from"
                                                " marts.mart_vat_period_progress where client_id"
                                                " = ? order by vat_period_start desc",
                                        [client_id])]
    (filing,), = marts_rows(served, "select filing_period_start from marts.mart_client_overview"
                                    " where client_id = ?", [client_id])
    check_vat_period(page, served, client_id, filing if filing in periods else periods[0])
    shoot(page, f"vat-{member.slug}")
    other = periods[-1]
    page.click(f'table.periods tr[data-period="{other.isoformat()}"] a')
    check_vat_period(page, served, client_id, other)


@pytest.mark.parametrize("which", [0, 1])
def test_backlog_view(browser, app_url, served, accountants, which):
    member = accountants[which]
    page = page_for(browser, member)
    page.goto(f"{app_url}/backlog")
    assert "2026-04-20 00:30" in text(page, "#data-as-of")

    def check(ids: list[str], days: int):
        marks = ", ".join("?" for _ in ids)
        (accountant, client, points), = marts_rows(served, f"""
            select sum(case when calendar_date = ? then open_accountant_action_eod end),
                   sum(case when calendar_date = ? then open_client_action_eod end),
                   count(distinct calendar_date)
            from marts.fct_client_backlog_daily
            where client_id in ({marks}) and calendar_date > ?""",
                                                   [AS_OF_DATE, AS_OF_DATE, *ids,
                                                    AS_OF_DATE - timedelta(days=days)])
        assert page.locator("#latest").get_attribute("data-date") == AS_OF_DATE.isoformat()
        assert text(page, '#latest [data-col="accountant"]') == str(accountant)
        assert text(page, '#latest [data-col="client"]') == str(client)
        assert page.locator(".points").get_attribute("data-points") == str(points)
        drawn = page.locator('svg.backlog polyline[data-series="accountant"]').get_attribute(
            "points")
        assert len(drawn.split(" ")) == points

    check(sorted(member.clients), 90)
    shoot(page, f"backlog-{member.slug}")
    client_id = busiest_client(served, member)
    page.select_option("#client", client_id)
    page.select_option("#days", "30")
    page.click("form.filters button[type=submit]")
    check([client_id], 30)
