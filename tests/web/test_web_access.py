"""Access rules of every endpoint, through Starlette's TestClient (no browser): the member's
clients only, 404 for anyone else's, nothing without an identity."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest
from fastapi.testclient import TestClient

from pipelines.web.app import create_app
from tests.published_firm import AS_OF_DATE
from tests.web.conftest import HEADER, marts_rows

PAGES = ["/insights", "/attention", "/vat", "/backlog"]
APIS = ["/api/me", "/api/insights", "/api/overview", "/api/overview.csv", "/api/attention",
        "/api/vat", "/api/backlog"]
PER_CLIENT = ["/insights", "/vat", "/backlog", "/api/insights", "/api/vat", "/api/backlog"]


@pytest.fixture(scope="module")
def client(served):
    return TestClient(create_app(served))


def as_member(member) -> dict[str, str]:
    return {HEADER: member.email}


def all_client_names(settings) -> list[str]:
    return [name for (name,) in marts_rows(settings, "select client_name from marts.dim_clients")]


@pytest.mark.parametrize("path", PAGES + APIS)
def test_without_identity_nothing_is_shown(client, served, path):
    response = client.get(path)
    assert response.status_code == 401
    for name in all_client_names(served):
        assert name not in response.text


@pytest.mark.parametrize("email", ["nobody@firm.example", ""])
def test_an_unknown_identity_sees_nothing(client, email):
    for path in PAGES + APIS:
        assert client.get(path, headers={HEADER: email}).status_code == 401, path


def test_an_inactive_member_sees_nothing(client, served):
    rows = marts_rows(served, "select email from marts.dim_team_members where not is_active")
    assert rows, "the simulated firm has no inactive member"
    for path in PAGES + APIS:
        assert client.get(path, headers={HEADER: rows[0][0]}).status_code == 401, path


def test_the_member_sees_exactly_their_active_assigned_clients(client, accountants):
    for member in accountants:
        me = client.get("/api/me", headers=as_member(member)).json()
        assert me["user_id"] == member.user_id
        assert me["clients"] == member.clients
        ranked = client.get("/api/attention", headers=as_member(member)).json()["clients"]
        assert {row["client_id"] for row in ranked} == set(member.clients)


def test_the_identity_header_is_matched_case_insensitively(client, accountants):
    member = accountants[0]
    me = client.get("/api/me", headers={HEADER: member.email.upper()}).json()
    assert me["user_id"] == member.user_id


@pytest.mark.parametrize("path", PER_CLIENT)
def test_another_members_client_is_not_found(client, served, accountants, path):
    first, second = accountants
    for viewer, other in ((first, second), (second, first)):
        foreign = sorted(set(other.clients) - set(viewer.clients))[0]
        response = client.get(f"{path}?client={foreign}", headers=as_member(viewer))
        assert response.status_code == 404, (path, viewer.email)
        assert other.clients[foreign] not in response.text
        own = sorted(viewer.clients)[0]
        assert client.get(f"{path}?client={own}", headers=as_member(viewer)).status_code == 200


def test_a_client_that_does_not_exist_is_not_found_either(client, accountants):
    for path in PER_CLIENT:
        response = client.get(f"{path}?client=no-such-client", headers=as_member(accountants[0]))
        assert response.status_code == 404, path


def test_an_inactive_client_is_not_shown_even_when_assigned(client, served, accountants):
    inactive = marts_rows(served, "select client_id from marts.dim_clients where not is_active")
    assert inactive, "the simulated firm has no inactive client"
    for path in PER_CLIENT:
        response = client.get(f"{path}?client={inactive[0][0]}",
                              headers=as_member(accountants[0]))
        assert response.status_code == 404, path


def test_a_client_manager_sees_no_documents(client, client_manager):
    headers = as_member(client_manager)
    assert client_manager.clients, "the client manager should have assignments to ignore"
    assert client.get("/api/me", headers=headers).json()["clients"] == {}
    assert client.get("/api/attention", headers=headers).json() == {"clients": [],
                                                                    "deadline_risk": []}
    assert client.get("/api/insights", headers=headers).json() == {"client_id": None}
    assert client.get("/api/backlog", headers=headers).json()["series"] == []
    for path in PAGES:
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert 'data-message="no_clients"' in response.text
        for name in client_manager.clients.values():
            assert name not in response.text
    for path in PER_CLIENT:
        assigned = sorted(client_manager.clients)[0]
        assert client.get(f"{path}?client={assigned}", headers=headers).status_code == 404


def test_the_demo_picker_exists_only_in_demo_mode(client, served, accountants):
    member = accountants[0]
    assert client.get("/demo").status_code == 404
    assert client.get(f"/demo/choose?user_id={member.user_id}").status_code == 404
    cookies = {"insights_demo_member": member.user_id}
    assert TestClient(create_app(served), cookies=cookies).get("/api/me").status_code == 401
    demo = TestClient(create_app(served, demo=True))
    assert member.display_name in demo.get("/demo").text
    chosen = demo.get(f"/demo/choose?user_id={member.user_id}", follow_redirects=False)
    assert chosen.status_code == 303
    assert demo.get("/api/me").json()["user_id"] == member.user_id


def test_the_configured_header_is_the_one_trusted(served, accountants):
    app = create_app(replace(served, serve_identity_header="X-Auth-Request-Email"))
    other = TestClient(app)
    email = accountants[0].email
    assert other.get("/api/me", headers={HEADER: email}).status_code == 401
    assert other.get("/api/me", headers={"X-Auth-Request-Email": email}).status_code == 200


def test_language_from_query_cookie_and_accept_language(client, accountants):
    headers = as_member(accountants[0])
    assert "Needs attention</h1>" in client.get("/attention", headers=headers).text
    dutch = client.get("/attention", headers={**headers, "Accept-Language": "nl-BE,nl;q=0.9"})
    assert "Vraagt aandacht</h1>" in dutch.text
    french = client.get("/attention?lang=fr", headers=headers)
    assert "À traiter en priorité</h1>" in french.text
    assert french.cookies.get("insights_lang") == "fr"
    client.cookies.clear()


def test_no_serving_database_yet(tmp_path, accountants):
    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path / "empty").get())
    response = TestClient(app).get("/insights", headers=as_member(accountants[0]))
    assert response.status_code == 503


def test_requests_leave_no_connection_open(client, served, accountants):
    """Each request closes its read-only connection: a writer can open the file afterwards
    (DuckDB refuses a read-write connection while this process holds a read-only one)."""
    for path in PAGES + APIS:
        client.get(path, headers=as_member(accountants[0]))
    duckdb.connect(str(served.serving_path)).close()


def test_data_as_of_is_on_every_page(client, accountants):
    for path in PAGES:
        text = client.get(path, headers=as_member(accountants[0])).text
        assert 'id="data-as-of"' in text and "2026-04-20 00:30" in text, path
    assert AS_OF_DATE.isoformat() == "2026-04-20"
