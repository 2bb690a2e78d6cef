"""Row-level security on the PostgreSQL marts, tested by logging in as each kind of member.

The marts, roles and policies are those of the real publish step (a full refresh with
INSIGHTS_POSTGRES_DSN set); the server is a real PostgreSQL from the Debian packages.
"""

from __future__ import annotations

import psycopg
import pytest

from pipelines.serving.pg_access import BI_ROLE, WEB_ROLE
from tests.serving.support import CLIENT_TABLES, accountants_with_clients, members


def _rows_per_client(connection, table: str, clients=None) -> dict[str, int]:
    query = f"select client_id, count(*) from marts.{table}"
    if clients is not None:
        query += " where client_id = any(%s)"
    rows = connection.execute(query + " group by client_id", [list(clients)] if clients
                              is not None else None).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def firm(published_firm):
    everyone = members(published_firm.serving_path)
    return published_firm, everyone


def test_roles_are_least_privilege_and_every_mart_is_forced_behind_policies(firm):
    served, everyone = firm
    with served.postgres.admin() as admin:
        roles = dict(
            (name, (superuser, bypass, login)) for name, superuser, bypass, login in
            admin.execute("select rolname, rolsuper, rolbypassrls, rolcanlogin from pg_roles "
                          "where rolname like 'insights%'").fetchall()
        )
        assert roles[BI_ROLE] == (False, False, False)
        assert roles[WEB_ROLE] == (False, False, True)
        for member in everyone:
            assert roles[member.role][:2] == (False, False), member.email
            assert roles[member.role][2] is member.is_active, member.email
        owned = admin.execute(
            "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner "
            "where r.rolname like 'insights\\_member\\_%%' or r.rolname in (%s, %s)",
            [BI_ROLE, WEB_ROLE]).fetchone()[0]
        assert owned == 0, "reader roles own nothing"
        tables = admin.execute(
            "select c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(select count(*) from pg_policy p where p.polrelid = c.oid) "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'marts' and c.relkind = 'r'").fetchall()
        views = admin.execute("select count(*) from pg_views where schemaname = 'marts'")
        assert views.fetchone()[0] == 0, "no view runs with its owner's rights"
    assert {name for name, *_ in tables} >= set(CLIENT_TABLES)
    for name, enabled, forced, policies in tables:
        assert enabled and forced and policies == 1, name


def test_each_accountant_sees_exactly_their_assigned_active_clients_in_every_mart(firm):
    served, _ = firm
    accountants = accountants_with_clients(served.serving_path)
    assert len({a.clients for a in accountants}) >= 2, "members with different client sets"
    seen_documents = 0
    with served.postgres.admin() as admin:
        active = {c for (c,) in admin.execute(
            "select client_id from marts.dim_clients where is_active")}
        for accountant in accountants:
            assert accountant.clients <= active
            with served.postgres.connect_as(accountant.role) as reader:
                for table in CLIENT_TABLES:
                    expected = _rows_per_client(admin, table, accountant.clients)
                    if table == "bridge_team_member_clients":
                        expected = dict(admin.execute(
                            "select client_id, count(*) from marts.bridge_team_member_clients "
                            "where user_id = %s group by 1", [accountant.user_id]).fetchall())
                    seen = _rows_per_client(reader, table)
                    assert seen == expected, (accountant.email, table)
                documents = set(_rows_per_client(reader, "fct_documents"))
                assert documents <= accountant.clients
                seen_documents += bool(documents)
                workload = reader.execute(
                    "select user_id from marts.mart_team_member_workload").fetchall()
                assert workload in ([], [(accountant.user_id,)])
                team = reader.execute("select count(*) from marts.dim_team_members").fetchone()
                assert team[0] == len(firm[1])
    assert seen_documents >= 2


@pytest.mark.parametrize("kind", ["unassigned accountant", "client manager"])
def test_members_without_client_access_see_no_client_rows(firm, kind):
    served, everyone = firm
    if kind == "unassigned accountant":
        member = next(m for m in everyone if m.is_active and m.sees_documents and not m.clients)
    else:
        member = next(m for m in everyone if m.is_active and m.roles == "CLIENT_MANAGER")
        assert member.clients, "the client manager is assigned clients, and still sees none"
    with served.postgres.connect_as(member.role) as reader:
        for table in CLIENT_TABLES:
            count = reader.execute(f"select count(*) from marts.{table}").fetchone()[0]
            assert count == 0, (kind, table)
        assert reader.execute("select count(*) from marts.mart_team_member_workload"
                              ).fetchone()[0] <= 1


def test_a_member_who_left_cannot_log_in_nor_read(firm):
    served, everyone = firm
    left = next(m for m in everyone if not m.is_active)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        served.postgres.connect_as(left.role)
    with served.postgres.admin() as admin:
        admin.execute(f"set role {left.role}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("select count(*) from marts.fct_documents")


def test_no_query_path_leaks_another_clients_rows(firm):
    served, everyone = firm
    accountant = accountants_with_clients(served.serving_path)[0]
    other = next(m for m in everyone if m.is_active and m.clients - accountant.clients)
    allowed = list(accountant.clients)
    with served.postgres.admin() as admin, served.postgres.connect_as(accountant.role) as reader:
        joined = reader.execute(
            "select distinct d.client_id from marts.fct_documents d "
            "join marts.dim_clients c using (client_id) "
            "join marts.mart_client_overview o using (client_id)").fetchall()
        assert {c for (c,) in joined} <= accountant.clients
        totals = "select count(distinct client_id), coalesce(sum(documents_total), 0) " \
                 "from marts.mart_client_overview"
        assert reader.execute(totals).fetchone() == admin.execute(
            totals + " where client_id = any(%s)", [allowed]).fetchone()
        targeted = reader.execute(
            "select count(*) from marts.fct_documents where client_id = any(%s)",
            [list(other.clients - accountant.clients)]).fetchone()[0]
        assert targeted == 0
        stats = reader.execute(
            "select count(*) from pg_stats where schemaname = 'marts'").fetchone()[0]
        assert stats == 0, "column statistics would show other clients' values"
        for attempt, error in [
            ("set row_security = off; select count(*) from marts.fct_documents",
             psycopg.errors.InsufficientPrivilege),
            (f"set role {other.role}", psycopg.errors.InsufficientPrivilege),
            ("create view marts.peek as select * from marts.fct_documents",
             psycopg.errors.InsufficientPrivilege),
            (f"update insights_access.member_roles set user_id = '{other.user_id}'",
             psycopg.errors.InsufficientPrivilege),
            ("alter table marts.fct_documents disable row level security",
             psycopg.errors.InsufficientPrivilege),
        ]:
            with pytest.raises(error):
                reader.execute(attempt)
            reader.execute("reset all")


def test_the_web_login_reads_as_the_member_it_sets_role_to(firm):
    served, _ = firm
    accountant = accountants_with_clients(served.serving_path)[0]
    with served.postgres.connect_as(WEB_ROLE) as web:
        assert web.execute("select count(*) from marts.fct_documents").fetchone()[0] == 0
        web.execute(f"set role {accountant.role}")
        seen = {c for (c,) in web.execute("select client_id from marts.bridge_team_member_clients")}
        assert seen == accountant.clients
        web.execute("reset role")
        assert web.execute("select count(*) from marts.fct_documents").fetchone()[0] == 0
