"""The firm-wide overview (/insights landing view, /api/overview, its CSV) and the per-status
links, without a browser: figures against the marts read directly, access as two members."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from pipelines.web.app import create_app
from tests.e2e.expected_marts import action_url
from tests.web.conftest import HEADER, marts_rows

COUNTS = ["documents_total", "documents_processed", "documents_accountant_action_needed",
          "documents_client_action_needed"]


@pytest.fixture(scope="module")
def client(served):
    return TestClient(create_app(served))


def expected_rows(served, member, start: date | None = None, end: date | None = None) -> dict:
    """client_id -> the four counts, summed straight from the marts; with no range given,
    each client over its own filing period (this month for clients without VAT periods)."""
    ids = sorted(member.clients)
    marks = ", ".join("?" for _ in ids)
    if start is None:
        window = ("coalesce(o.filing_period_start, date '2026-04-01')",
                  "coalesce(o.filing_period_end, date '2026-04-30')")
        params = ids
    else:
        window, params = ("cast(? as date)", "cast(? as date)"), [start, end, *ids]
    rows = marts_rows(served, f"""
        select o.client_id,
            coalesce(sum(d.documents_total), 0), coalesce(sum(d.documents_processed), 0),
            coalesce(sum(case when d.category <> 'OTHER'
                         then d.documents_accountant_action_needed end), 0),
            coalesce(sum(case when d.category <> 'OTHER'
                         then d.documents_client_action_needed end), 0)
        from marts.mart_client_overview o
        left join marts.fct_client_category_daily d on d.client_id = o.client_id
            and d.activity_date between {window[0]} and {window[1]}
        where o.client_id in ({marks}) group by o.client_id""", params)
    return {client_id: dict(zip(COUNTS, values, strict=True)) for client_id, *values in rows}


def shown(rows: list[dict]) -> dict:
    return {row["client_id"]: {c: row[c] for c in COUNTS} for row in rows}


@pytest.mark.parametrize("which", [0, 1])
def test_overview_matches_the_marts_for_each_preset(client, served, accountants, which):
    member = accountants[which]
    headers = {HEADER: member.email}
    cases = {"this_year": (date(2026, 1, 1), date(2026, 12, 31)),
             "this_month": (date(2026, 4, 1), date(2026, 4, 30)),
             "last_month": (date(2026, 3, 1), date(2026, 3, 31)),
             "custom": (date(2025, 11, 3), date(2026, 2, 11))}
    for preset, (start, end) in cases.items():
        data = client.get("/api/overview", headers=headers, params={
            "preset": preset, "start": "2026-02-11", "end": "2025-11-03"}).json()
        assert (data["start"], data["end"]) == (start.isoformat(), end.isoformat()), preset
        assert set(shown(data["clients"])) == set(member.clients), "exactly the member's clients"
        assert shown(data["clients"]) == expected_rows(served, member, start, end), preset
        for column in COUNTS:
            assert data["totals"][column] == sum(r[column] for r in data["clients"])
    year = client.get("/api/overview?preset=this_year", headers=headers).json()
    assert year["totals"]["documents_total"] > 0
    vat = client.get("/api/overview?preset=vat_period", headers=headers).json()
    assert shown(vat["clients"]) == expected_rows(served, member)


def test_an_overview_row_equals_the_clients_own_view(client, accountants):
    member = accountants[0]
    headers = {HEADER: member.email}
    for preset in ("this_year", "vat_period"):
        rows = client.get(f"/api/overview?preset={preset}", headers=headers).json()["clients"]
        for row in rows[:6]:
            own = client.get("/api/insights", headers=headers,
                             params={"client": row["client_id"], "preset": preset}).json()
            assert {c: own["totals"][c] for c in COUNTS} == {c: row[c] for c in COUNTS}
            assert (own["start"], own["end"]) == (row["range_start"], row["range_end"])


def test_overview_sorts_on_every_column(client, accountants):
    headers = {HEADER: accountants[0].email}
    for column in ["client_name", *COUNTS]:
        for order in ("asc", "desc"):
            data = client.get("/api/overview", headers=headers, params={
                "preset": "this_year", "sort": column, "order": order}).json()
            values = [row[column] for row in data["clients"]]
            assert values == sorted(values, reverse=order == "desc"), (column, order)
            assert (data["sort"], data["order"]) == (column, order)
    unknown = client.get("/api/overview?sort=client_id;drop", headers=headers).json()
    assert unknown["sort"] == "client_name"


def test_the_csv_holds_the_same_rows(client, accountants):
    headers = {HEADER: accountants[1].email}
    params = {"preset": "this_year", "sort": "documents_total", "order": "desc"}
    data = client.get("/api/overview", headers=headers, params=params).json()
    response = client.get("/api/overview.csv", headers=headers, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["client_id"] for r in rows] == [r["client_id"] for r in data["clients"]]
    for got, want in zip(rows, data["clients"], strict=True):
        assert got["client_name"] == want["client_name"]
        assert got["range_start"] == want["range_start"] == "2026-01-01"
        assert {c: int(got[c]) for c in COUNTS} == {c: want[c] for c in COUNTS}


def test_the_landing_page_is_the_overview(client, accountants):
    member = accountants[0]
    page = client.get("/insights", headers={HEADER: member.email}).text
    assert 'id="overview"' in page
    for client_id, name in member.clients.items():
        assert f'data-client="{client_id}"' in page and escape(name) in page
    assert 'id="csv"' in page


def test_no_client_of_another_member_in_the_overview(client, accountants):
    first, second = accountants
    for viewer, other in ((first, second), (second, first)):
        foreign = set(other.clients) - set(viewer.clients)
        headers = {HEADER: viewer.email}
        for path in ("/insights", "/insights?preset=vat_period", "/api/overview?preset=this_year",
                     "/api/overview.csv?preset=vat_period"):
            body = client.get(path, headers=headers).text
            for client_id in foreign:
                assert client_id not in body, (path, viewer.email)
                for name in (other.clients[client_id], escape(other.clients[client_id])):
                    assert name not in body, (path, viewer.email)


def test_a_client_manager_gets_an_empty_overview(client, client_manager):
    headers = {HEADER: client_manager.email}
    data = client.get("/api/overview", headers=headers).json()
    assert data["clients"] == [] and data["totals"]["documents_total"] == 0
    csv_text = client.get("/api/overview.csv", headers=headers).text
    assert csv_text.strip().count("\n") == 0  # the header line only


def test_per_status_links_follow_the_template(client, served, accountants):
    """Each count asking for action links to that status through the configured template;
    "Go to documents" stays the category's link (status all); OTHER has no status links."""
    member = accountants[0]
    headers = {HEADER: member.email}
    for client_id in sorted(member.clients)[:5]:
        data = client.get("/api/insights", headers=headers,
                          params={"client": client_id, "preset": "this_year"}).json()
        for row in data["categories"]:
            if row["action_url"] is None:  # the client has no document of this category
                continue
            template = served.documents_url_template
            assert row["action_url"] == action_url(template, client_id, row["category"], "all")
            for status in ("accountant_action_needed", "client_action_needed"):
                column = f"documents_{status}"
                want = (None if row["category"] == "OTHER"
                        else action_url(template, client_id, row["category"], status))
                assert row["status_urls"][column] == want


def test_the_client_view_links_each_actionable_count(client, served, accountants):
    member = accountants[0]
    client_id = marts_rows(served, f"""
        select client_id from marts.mart_client_overview
        where client_id in ({", ".join("?" for _ in member.clients)})
        order by documents_accountant_action_needed desc, client_id""",
                           sorted(member.clients))[0][0]
    page = client.get("/insights", headers={HEADER: member.email},
                      params={"client": client_id, "preset": "this_year"}).text
    urls = marts_rows(served, """select max(action_url_accountant_action_needed)
        from marts.fct_client_category_daily where client_id = ? and category <> 'OTHER'
        and documents_accountant_action_needed > 0 group by category""", [client_id])
    assert urls
    for (url,) in urls:
        assert f'class="status" href="{url.replace("&", "&amp;")}"' in page
