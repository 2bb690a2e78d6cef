"""The access audit says exactly what the database enforces, and flags a leaver who can
still read."""

from __future__ import annotations

import duckdb

from pipelines import cli
from pipelines.access_audit import audit_rows
from pipelines.serving.postgres_publish import publish_postgres
from tests.serving.support import members


def _run_audit(monkeypatch, published_firm, dsn: str | None, *arguments: str) -> int:
    monkeypatch.setenv("INSIGHTS_HOME", str(published_firm.home))
    if dsn:
        monkeypatch.setenv("INSIGHTS_POSTGRES_DSN", dsn)
    else:
        monkeypatch.delenv("INSIGHTS_POSTGRES_DSN", raising=False)
    return cli.main(["access-audit", *arguments])


def test_the_audit_lists_what_each_member_sees_in_postgres(published_firm):
    rows = audit_rows(published_firm.serving_path, include_denied=True)
    with published_firm.postgres.admin() as admin:
        for member in members(published_firm.serving_path):
            audited = {r["client_id"] for r in rows
                       if r["user_id"] == member.user_id and r["can_see_client_data"]}
            if not member.is_active:
                assert audited == set()
                continue
            admin.execute(f"set role {member.role}")
            enforced = {c for (c,) in admin.execute(
                "select client_id from marts.dim_clients")}
            admin.execute("reset role")
            assert audited == enforced, member.email
    reasons = {r["access_reason"] for r in rows}
    assert {"assigned", "role_sees_no_documents"} <= reasons


def test_the_report_filters_by_member_and_explains_denials(
    published_firm, monkeypatch, capsys
):
    # a client manager with assignments: assigned, yet their role sees no documents
    assigned = {r["user_id"] for r in audit_rows(published_firm.serving_path, include_denied=True)}
    manager = next(m for m in members(published_firm.serving_path)
                   if m.roles == "CLIENT_MANAGER" and m.user_id in assigned)
    assert _run_audit(monkeypatch, published_firm, None, "--member", manager.email) == 0
    assert "No matching access." in capsys.readouterr().out
    assert _run_audit(monkeypatch, published_firm, None, "--member", manager.email, "--all") == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if manager.email in line]
    # each denial with its reason: the role, or first the client's ended link
    with duckdb.connect(str(published_firm.serving_path), read_only=True) as con:
        ended = {name for (name,) in con.execute(
            "select client_name from marts.dim_clients where not is_active").fetchall()}
    assert any("role_sees_no_documents" in line for line in lines), lines
    for line in lines:
        reason = ("client_not_active" if any(f" {name[:33]}" in line for name in ended)
                  else "role_sees_no_documents")
        assert line.rstrip().endswith(reason), line


def test_a_leaver_whose_role_can_still_log_in_is_reported(
    published_firm, fresh_postgres, monkeypatch, capsys
):
    publish_postgres(published_firm.serving_path, fresh_postgres.publisher_dsn, log=lambda _: None)
    dsn = fresh_postgres.publisher_dsn
    assert _run_audit(monkeypatch, published_firm, dsn) == 0
    assert "PROBLEM" not in capsys.readouterr().out
    left = next(m for m in members(published_firm.serving_path) if not m.is_active)
    with fresh_postgres.admin() as admin:  # a DBA re-enabled the role by hand
        admin.execute(f"alter role {left.role} login")
    assert _run_audit(monkeypatch, published_firm, dsn) == 1
    assert f"PROBLEM: {left.email} left the firm" in capsys.readouterr().out
