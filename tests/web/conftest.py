"""The web tests read the session's published firm (tests/published_firm.py), as the members
the tests act as, picked from the marts themselves."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import duckdb
import pytest
import uvicorn

HEADER = "X-Forwarded-Email"


@dataclass(frozen=True)
class TeamMember:
    user_id: str
    email: str
    display_name: str
    clients: dict[str, str]  # client_id -> client_name, what the member may see

    @property
    def slug(self) -> str:
        return self.email.split("@")[0].replace(".", "-")


def marts_rows(settings, sql: str, params=()) -> list[tuple]:
    """Read the marts directly (the tests' own reference, independent of the web layer)."""
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="session")
def served(published_firm):
    """The settings of the published firm's last refresh (its home, serving file, time zone)."""
    return published_firm.settings


def _member(settings, user_id: str) -> TeamMember:
    (email, name), = marts_rows(
        settings, "select email, display_name from marts.dim_team_members where user_id = ?",
        [user_id])
    clients = marts_rows(settings, """
        select c.client_id, c.client_name from marts.bridge_team_member_clients b
        join marts.dim_clients c using (client_id) where b.user_id = ? and c.is_active
        order by c.client_name, c.client_id""", [user_id])
    return TeamMember(user_id, email, name, dict(clients))


@pytest.fixture(scope="session")
def accountants(served) -> tuple[TeamMember, TeamMember]:
    """The two active accountants with the most clients; their client sets differ."""
    rows = marts_rows(served, """
        select m.user_id from marts.dim_team_members m
        join marts.bridge_team_member_clients b using (user_id)
        where m.is_active and m.roles like '%ACCOUNTANT%'
        group by m.user_id order by count(*) desc, m.user_id limit 2""")
    first, second = (_member(served, user_id) for (user_id,) in rows)
    assert first.clients and second.clients
    assert set(first.clients) - set(second.clients), "the two members see the same clients"
    assert set(second.clients) - set(first.clients), "the two members see the same clients"
    return first, second


@pytest.fixture(scope="session")
def client_manager(served) -> TeamMember:
    """An active member whose only role is CLIENT_MANAGER but who has assignments."""
    rows = marts_rows(served, """
        select m.user_id from marts.dim_team_members m
        join marts.bridge_team_member_clients b using (user_id)
        where m.is_active and m.roles = 'CLIENT_MANAGER' group by m.user_id order by m.user_id""")
    assert rows, "the simulated firm has no assigned client manager"
    return _member(served, rows[0][0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningApp:
    """The app served by uvicorn on a loopback port, in a thread."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def app_url(served):
    """The page (header identity, no demo) on a loopback port."""
    from pipelines.web.app import create_app

    with RunningApp(create_app(served)) as running:
        yield running.url


@pytest.fixture(scope="session")
def browser():
    """The Debian Chromium through Playwright; no browser is ever downloaded."""
    from playwright.sync_api import sync_playwright

    from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
