"""Access, languages and screens in a real browser: another member's client by URL, no
identity, a client manager, Dutch and French, a 390px screen, the demo picker."""

from __future__ import annotations

import pytest

from pipelines.web.app import create_app
from tests.web.browser_support import VIEWS, page_for, shoot, text
from tests.web.conftest import RunningApp


# --- access -------------------------------------------------------------------------------------
def test_changing_the_url_to_another_members_client_shows_nothing(browser, app_url, accountants):
    first, second = accountants
    for viewer, other in ((first, second), (second, first)):
        foreign = sorted(set(other.clients) - set(viewer.clients))[0]
        page = page_for(browser, viewer)
        for view in ("insights", "vat", "backlog"):
            response = page.goto(f"{app_url}/{view}?client={foreign}")
            assert response.status == 404, view
            assert page.locator("#message").get_attribute("data-message") == "not_found"
            assert other.clients[foreign] not in page.content()
        for endpoint in ("insights", "vat", "backlog"):
            response = page.request.get(f"{app_url}/api/{endpoint}?client={foreign}")
            assert response.status == 404


def test_without_identity_nothing_is_shown(browser, app_url, accountants):
    page = page_for(browser)
    for view in VIEWS:
        response = page.goto(f"{app_url}/{view}")
        assert response.status == 401
        assert page.locator("#message").get_attribute("data-message") == "no_identity"
        assert page.locator("nav.views").count() == 0
        for member in accountants:
            for name in member.clients.values():
                assert name not in page.content()
    shoot(page, "insights-no-identity")


def test_a_client_manager_sees_no_clients(browser, app_url, client_manager):
    page = page_for(browser, client_manager)
    for view in VIEWS:
        page.goto(f"{app_url}/{view}")
        assert page.locator("#message").get_attribute("data-message") == "no_clients", view
        for name in client_manager.clients.values():
            assert name not in page.content()
    shoot(page, f"backlog-{client_manager.slug}")


def test_dutch_and_french_labels(browser, app_url, accountants):
    member = accountants[0]
    page = page_for(browser, member)
    page.goto(f"{app_url}/insights?lang=nl")
    assert text(page, 'nav a[data-view="insights"]') == "Inzichten"
    assert "Verwerkt" in text(page, ".card.documents_processed .label")
    shoot(page, f"insights-{member.slug}-nl")
    page.click('nav a[data-view="attention"]')  # the choice is remembered
    assert text(page, "h1") == "Vraagt aandacht"
    page.goto(f"{app_url}/vat?lang=fr")
    assert text(page, "h1") == "Avancement période TVA"
    assert text(page, 'nav a[data-view="backlog"]') == "Arriéré dans le temps"
    shoot(page, f"vat-{member.slug}-fr")


@pytest.mark.parametrize("which", [0, 1])
def test_narrow_screen_has_no_horizontal_overflow(browser, app_url, accountants, which):
    member = accountants[which]
    page = page_for(browser, member, viewport={"width": 390, "height": 844})
    for view in VIEWS:
        page.goto(f"{app_url}/{view}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{view} is {width}px wide on a 390px screen"
        assert page.locator("nav.views").is_visible()
        if view == "insights":  # every "Go to documents" link within reach, no side-scrolling
            for link in page.locator("a.go").all():
                box = link.bounding_box()
                assert box is not None and box["x"] + box["width"] <= 390
        shoot(page, f"{view}-{member.slug}-narrow")


def test_demo_mode_offers_a_member_picker(browser, served, accountants):
    member = accountants[1]
    with RunningApp(create_app(served, demo=True)) as demo:
        page = page_for(browser)
        page.goto(f"{demo.url}/insights")
        page.click('a[href="/demo"]')
        shoot(page, "demo-picker")
        page.click(f'a[data-user="{member.user_id}"]')
        assert page.url.endswith("/insights")
        assert page.locator(".member").get_attribute("data-user") == member.user_id
        offered = page.locator("#client option").evaluate_all("els => els.map(e => e.value)")
        assert offered[0] == "all"  # "All my clients": the firm-wide overview
    assert sorted(offered[1:]) == sorted(member.clients)
