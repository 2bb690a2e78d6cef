"""Helpers of the browser tests: the Debian Chromium (never a Playwright download), pages as a
member (the identity header set on every request), screenshots kept under test-artifacts/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.web.conftest import HEADER

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWS = ["insights", "attention", "vat", "backlog"]


def page_for(browser, member=None, **options) -> Page:
    headers = {HEADER: member.email} if member else {}
    context = browser.new_context(extra_http_headers=headers, **options)
    return context.new_page()


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()
