"""Publishing to PostgreSQL: access follows assignments, readers see one complete set, a
failed publish changes nothing. Each test has its own real server and publishes variants of
the served firm's DuckDB marts."""

from __future__ import annotations

import threading

import psycopg
import pytest

from pipelines.serving.postgres_publish import publish_postgres
from tests.serving.support import accountants_with_clients, copy_serving, members, signature


def _quiet(_message: str) -> None:
    pass


def _publish(path, server):
    return publish_postgres(path, server.publisher_dsn, log=_quiet)


def test_a_removed_assignment_or_member_loses_access_at_the_next_publish(
    published_firm, fresh_postgres, tmp_path
):
    original = published_firm.serving_path
    accountant, colleague = accountants_with_clients(original)[:2]
    dropped = sorted(accountant.clients)[0]
    _publish(original, fresh_postgres)
    with fresh_postgres.connect_as(accountant.role) as reader:
        assert dropped in {c for (c,) in reader.execute(
            "select client_id from marts.mart_client_overview")}

    changed = copy_serving(
        original, tmp_path / "changed.duckdb",
        f"delete from marts.bridge_team_member_clients where user_id = '{accountant.user_id}' "
        f"and client_id = '{dropped}'",
        f"update marts.dim_team_members set is_active = false "
        f"where user_id = '{colleague.user_id}'",
        f"delete from marts.bridge_team_member_clients where user_id = '{colleague.user_id}'",
    )
    result = _publish(changed, fresh_postgres)
    assert colleague.role in result.members.revoked
    with fresh_postgres.connect_as(accountant.role) as reader:
        for table in ("fct_documents", "mart_client_overview", "fct_client_backlog_daily",
                      "bridge_team_member_clients"):
            seen = {c for (c,) in reader.execute(f"select distinct client_id from marts.{table}")}
            assert dropped not in seen, table
            assert seen <= accountant.clients - {dropped}
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        fresh_postgres.connect_as(colleague.role)

    _publish(original, fresh_postgres)  # re-assigned: access comes back
    with fresh_postgres.connect_as(colleague.role) as reader:
        bridge = reader.execute("select client_id from marts.bridge_team_member_clients")
        assert {c for (c,) in bridge} == colleague.clients


def test_readers_see_the_old_or_the_new_complete_set_never_a_mix(
    published_firm, fresh_postgres, tmp_path
):
    first = published_firm.serving_path
    second = copy_serving(
        first, tmp_path / "second.duckdb",
        "delete from marts.fct_documents where hash(document_id) % 3 = 0",
        "delete from marts.fct_client_backlog_daily where hash(client_id) % 2 = 0",
        "update marts.mart_client_overview set data_as_of = data_as_of + interval 1 day",
    )
    accountant = accountants_with_clients(first)[0]
    _publish(first, fresh_postgres)
    with fresh_postgres.admin() as admin:
        expected = {signature(admin)}
        _publish(second, fresh_postgres)
        expected.add(signature(admin))
    assert len(expected) == 2

    seen, errors, stop = [], [], threading.Event()

    def read_in_a_loop(role: str | None) -> None:
        try:
            connection = (fresh_postgres.connect_as(role) if role else fresh_postgres.admin())
            with connection:
                while not stop.is_set():
                    seen.append((role, signature(connection)))
        except Exception as error:  # reported below: any reader error fails the test
            errors.append(repr(error))

    readers = [threading.Thread(target=read_in_a_loop, args=(role,))
               for role in (None, accountant.role)]
    for reader in readers:
        reader.start()
    try:
        for path in (first, second, first, second):
            _publish(path, fresh_postgres)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    assert not errors
    admin_reads = {sig for role, sig in seen if role is None}
    assert admin_reads <= expected, "a read saw a mix of two published sets"
    assert len(seen) > 20
    member_reads = {sig for role, sig in seen if role is not None}
    assert len({sig[3] for sig in member_reads}) <= 2


def test_a_reader_holding_the_old_set_does_not_block_publishing(
    published_firm, fresh_postgres
):
    path = published_firm.serving_path
    _publish(path, fresh_postgres)
    with fresh_postgres.admin() as reader:
        reader.execute("begin")
        before = reader.execute("select count(*) from marts.fct_documents").fetchone()
        result = _publish(path, fresh_postgres)  # the old tables are locked by the reader
        assert result.retired_schemas_left, "the retired set waits for its reader"
        assert reader.execute("select count(*) from marts.fct_documents").fetchone() == before
        reader.execute("commit")
    result = _publish(path, fresh_postgres)
    assert result.retired_schemas_left == []
    with fresh_postgres.admin() as admin:
        left = admin.execute(
            "select count(*) from pg_namespace where nspname like 'marts\\_%%'").fetchone()[0]
        assert left == 0


def test_a_failed_publish_leaves_the_published_set_untouched(
    published_firm, fresh_postgres, tmp_path
):
    _publish(published_firm.serving_path, fresh_postgres)
    with fresh_postgres.admin() as admin:
        published = signature(admin)
    broken = copy_serving(published_firm.serving_path, tmp_path / "broken.duckdb",
                          "update marts.mart_client_overview set data_as_of = null",
                          "drop table marts.bridge_team_member_clients")
    with pytest.raises(ValueError, match="bridge_team_member_clients"):
        _publish(broken, fresh_postgres)
    with fresh_postgres.admin() as admin:
        assert signature(admin) == published
        schemas = {s for (s,) in admin.execute("select nspname from pg_namespace")}
        assert "marts_next" not in schemas


def test_an_unreachable_server_is_one_clear_error(published_firm, fresh_postgres):
    dsn = fresh_postgres.publisher_dsn.replace(str(fresh_postgres.port), "1")
    from pipelines.serving.postgres_publish import PostgresPublishError

    with pytest.raises(PostgresPublishError, match="cannot connect to INSIGHTS_POSTGRES_DSN"):
        publish_postgres(published_firm.serving_path, dsn, log=_quiet)


def test_every_member_of_the_firm_has_a_role_and_only_active_ones_a_mapping(
    published_firm, fresh_postgres
):
    _publish(published_firm.serving_path, fresh_postgres)
    everyone = members(published_firm.serving_path)
    with fresh_postgres.admin() as admin:
        mapped = dict(admin.execute(
            "select role_name, user_id from insights_access.member_roles").fetchall())
    assert mapped == {m.role: m.user_id for m in everyone if m.is_active}
