"""The page's PostgreSQL mode against the published firm's real PostgreSQL server, with the
marts, member roles and row-level security from the product's own publish step. Every
endpoint must answer exactly as on DuckDB, reading as the member's own role."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest
from fastapi.testclient import TestClient

from pipelines.serving.pg_access import WEB_ROLE, member_role_name
from pipelines.web.app import create_app
from tests.web.conftest import HEADER

ENDPOINTS = ["/api/me", "/api/attention", "/api/insights?preset=this_year",
             "/api/insights?preset=vat_period", "/api/vat", "/api/backlog?days=365",
             "/api/backlog?days=0", "/api/overview?preset=this_year",
             "/api/overview?preset=vat_period&sort=documents_total&order=desc"]


@pytest.fixture(scope="module")
def postgres(published_firm):
    return published_firm.postgres.dsn_for(WEB_ROLE)


@pytest.fixture(scope="module")
def clients(served, postgres):
    return (TestClient(create_app(served)),
            TestClient(create_app(replace(served, serve_postgres_dsn=postgres))))


def test_row_level_security_is_really_on(postgres, accountants):
    """The web login alone sees no client rows; as a member it sees that member's only."""
    member = accountants[0]
    with psycopg.connect(postgres, autocommit=True) as connection:
        count = "select count(distinct client_id) from marts.mart_client_overview"
        assert connection.execute(count).fetchone()[0] == 0
        connection.execute(f'set role "{member_role_name(member.user_id)}"')
        assert connection.execute(count).fetchone()[0] == len(member.clients)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_answers_as_on_duckdb(clients, accountants, path):
    on_duckdb, on_postgres = clients
    for member in accountants:
        for client_id in [None, *sorted(member.clients)[:2]]:
            url = path if client_id is None or path in ("/api/me", "/api/attention") else \
                f"{path}{'&' if '?' in path else '?'}client={client_id}"
            want = on_duckdb.get(url, headers={HEADER: member.email})
            got = on_postgres.get(url, headers={HEADER: member.email})
            assert want.status_code == got.status_code == 200, url
            assert got.json() == want.json(), url


def test_access_rules_hold_on_postgres(clients, accountants, client_manager):
    _, on_postgres = clients
    first, second = accountants
    foreign = sorted(set(second.clients) - set(first.clients))[0]
    for path in ("/insights", "/vat", "/backlog", "/api/insights", "/api/vat", "/api/backlog"):
        response = on_postgres.get(f"{path}?client={foreign}", headers={HEADER: first.email})
        assert response.status_code == 404, path
    assert on_postgres.get("/api/me").status_code == 401
    manager = on_postgres.get("/api/me", headers={HEADER: client_manager.email})
    assert manager.json()["clients"] == {}
    for path in ("/insights", "/attention", "/vat", "/backlog"):
        assert on_postgres.get(path, headers={HEADER: first.email}).status_code == 200, path
