"""The new views in a real browser as two members: the firm-wide overview (the landing view),
its sorting and CSV download, the per-status links of the client view, and the deadline-risk
list atop "Needs attention". Figures against the marts read directly; screenshots like the
other browser tests (test-artifacts/screenshots/<view>-<member>.png)."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from pipelines.digest.send import compose
from tests.web.browser_support import page_for, shoot, text
from tests.web.test_web_overview import COUNTS, expected_rows


def check_overview(page, served, member, start: date | None, end: date | None):
    expected = expected_rows(served, member, start, end)
    rows = page.locator("#overview tbody tr")
    shown = rows.evaluate_all("els => els.map(e => e.dataset.client)")
    assert sorted(shown) == sorted(member.clients), "exactly the member's clients"
    for index, client_id in enumerate(shown):
        row = rows.nth(index)
        assert row.locator("a.client").inner_text().strip() == member.clients[client_id]
        for column in COUNTS:
            value = row.locator(f'td[data-col="{column}"]').inner_text().strip()
            assert value == str(expected[client_id][column]), (client_id, column)
    totals = page.locator('#overview tfoot tr')
    for column in COUNTS:
        want = str(sum(counts[column] for counts in expected.values()))
        assert totals.locator(f'td[data-col="{column}"]').inner_text().strip() == want
        assert text(page, f'.cards [data-count="{column}"]') == want
    return shown


@pytest.mark.parametrize("which", [0, 1])
def test_overview_is_the_landing_view(browser, app_url, served, accountants, which):
    member = accountants[which]
    page = page_for(browser, member)
    page.goto(f"{app_url}/")
    assert page.url.endswith("/insights")
    assert page.locator("#client").input_value() == "all"
    assert "2026-04-20 00:30" in text(page, "#data-as-of")
    shown = check_overview(page, served, member, date(2026, 4, 1), date(2026, 4, 30))
    names = [member.clients[c] for c in shown]
    assert names == sorted(names, key=lambda n: (n, ""))  # by name until sorted otherwise
    shoot(page, f"overview-{member.slug}")
    page.select_option("#preset", "this_year")
    page.click("form.filters button[type=submit]")
    check_overview(page, served, member, date(2026, 1, 1), date(2026, 12, 31))
    page.select_option("#preset", "vat_period")
    page.click("form.filters button[type=submit]")
    check_overview(page, served, member, None, None)
    shoot(page, f"overview-vat-period-{member.slug}")


@pytest.mark.parametrize("which", [0, 1])
def test_overview_sorts_and_links_each_client(browser, app_url, served, accountants, which):
    member = accountants[which]
    page = page_for(browser, member)
    page.goto(f"{app_url}/insights?preset=this_year")
    column = "documents_accountant_action_needed"
    page.click(f'a.sort[data-sort-key="{column}"]')  # first click: largest first
    assert page.locator("#overview").get_attribute("data-order") == "desc"
    values = [int(v) for v in page.locator(f'#overview tbody td[data-col="{column}"]')
              .all_inner_texts()]
    assert values == sorted(values, reverse=True)
    shoot(page, f"overview-sorted-{member.slug}")
    page.click(f'a.sort[data-sort-key="{column}"]')  # second click: smallest first
    values = [int(v) for v in page.locator(f'#overview tbody td[data-col="{column}"]')
              .all_inner_texts()]
    assert values == sorted(values)
    first = page.locator("#overview tbody tr").first
    client_id = first.get_attribute("data-client")
    counts = {c: first.locator(f'td[data-col="{c}"]').inner_text().strip() for c in COUNTS}
    first.locator("a.client").click()
    assert page.locator("#client").input_value() == client_id
    assert page.locator("#range").get_attribute("data-start") == "2026-01-01"
    for column in COUNTS:  # the client's own view shows the row's figures
        assert text(page, f'[data-count="{column}"]') == counts[column]


def test_overview_csv_download(browser, app_url, served, accountants):
    """The page's CSV link, fetched as the member. (Chromium's download manager does not send
    Playwright's extra headers, i.e. the SSO identity, so the link is fetched, not clicked.)"""
    member = accountants[0]
    page = page_for(browser, member)
    page.goto(f"{app_url}/insights?preset=this_year&sort=documents_total&order=desc")
    shown = page.locator("#overview tbody tr").evaluate_all(
        "els => els.map(e => e.dataset.client)")
    link = page.locator("#csv")
    assert link.get_attribute("download") is not None
    response = page.request.get(f"{app_url}{link.get_attribute('href')}")
    assert response.status == 200
    assert response.headers["content-disposition"] == \
        'attachment; filename="overview-2026-01-01-2026-12-31.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text())))
    assert [row["client_id"] for row in rows] == shown
    expected = expected_rows(served, member, date(2026, 1, 1), date(2026, 12, 31))
    for row in rows:
        assert {c: int(row[c]) for c in COUNTS} == expected[row["client_id"]]


@pytest.mark.parametrize("which", [0, 1])
def test_client_view_links_each_count_to_its_status(browser, app_url, served, accountants,
                                                    which):
    from tests.web.conftest import marts_rows

    member = accountants[which]
    ids = sorted(member.clients)
    client_id = marts_rows(served, f"""
        select client_id from marts.mart_client_overview where client_id in
        ({", ".join("?" for _ in ids)}) order by documents_accountant_action_needed
        + documents_client_action_needed desc, client_id""", ids)[0][0]
    links = marts_rows(served, """
        select category, max(action_url), max(action_url_accountant_action_needed),
               max(action_url_client_action_needed)
        from marts.fct_client_category_daily where client_id = ? group by category""",
                       [client_id])
    page = page_for(browser, member)
    page.goto(f"{app_url}/insights?client={client_id}&preset=this_year")
    checked = 0
    for category, everything, accountant, client in links:
        row = page.locator(f'tr[data-category="{category}"]')
        assert row.locator("a.go").get_attribute("href") == everything
        for column, url in (("documents_accountant_action_needed", accountant),
                            ("documents_client_action_needed", client)):
            cell = row.locator(f'td[data-col="{column}"]')
            if category == "OTHER" or cell.inner_text().strip() in ("", "0"):
                assert cell.locator("a").count() == 0
            else:
                assert cell.locator("a.status").get_attribute("href") == url
                status = column.removeprefix("documents_")
                assert parse_qs(urlsplit(url).query)["status"] == [status], url
                checked += 1
    assert checked, "no actionable count to check"
    shoot(page, f"insights-status-links-{member.slug}")


@pytest.mark.parametrize("which", [0, 1])
def test_deadline_risk_atop_needs_attention(browser, app_url, served, accountants, which):
    member = accountants[which]
    (digest,) = compose(served, member.email)
    page = page_for(browser, member)
    page.goto(f"{app_url}/attention")
    section = page.locator("#deadline-risk")
    assert section.is_visible()
    rows = section.locator("tbody tr")
    assert rows.evaluate_all("els => els.map(e => e.dataset.client)") == [
        r["client_id"] for r in digest.clients]
    for index, risk in enumerate(digest.clients):
        row = rows.nth(index)
        assert row.locator('[data-col="open_in_filing_period"]').inner_text() == str(
            risk["open_in_filing_period"])
        assert row.locator('[data-col="filing_deadline"]').inner_text().startswith(
            str(risk["filing_deadline"]))
        reasons = row.locator("[data-reason]").evaluate_all(
            "els => els.map(e => e.dataset.reason)")
        assert reasons == risk["reasons"]
    box = section.bounding_box()
    assert box["y"] < page.locator("table.attention").bounding_box()["y"]
    shoot(page, f"attention-risk-{member.slug}")


def test_no_other_members_client_through_the_new_views(browser, app_url, accountants):
    first, second = accountants
    for viewer, other in ((first, second), (second, first)):
        foreign = set(other.clients) - set(viewer.clients)
        page = page_for(browser, viewer)
        for path in ("/insights", "/insights?preset=vat_period", "/attention",
                     "/api/overview?preset=this_year", "/api/attention"):
            response = page.goto(f"{app_url}{path}")
            assert response.status == 200
            body = page.content()
            for client_id in foreign:
                name = other.clients[client_id]
                assert client_id not in body, path
                assert name not in body and escape(name) not in body, path
        response = page.request.get(f"{app_url}/api/overview.csv?preset=this_year")
        assert not any(client_id in response.text() for client_id in foreign)
