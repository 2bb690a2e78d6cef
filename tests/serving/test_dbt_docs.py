"""`insights docs` writes the dbt documentation site from a built warehouse."""

from __future__ import annotations

from pipelines import cli
from tests.serving.support import CLIENT_TABLES


def test_docs_are_generated_with_every_mart_and_exposure(published_firm, monkeypatch, tmp_path):
    monkeypatch.setenv("INSIGHTS_HOME", str(published_firm.home))
    assert cli.main(["docs", "--output", str(tmp_path / "site")]) == 0
    page = (tmp_path / "site" / "index.html").read_text()
    for name in (*CLIENT_TABLES, "insights_dashboard", "vat_period_dashboard",
                 "team_member_role_access"):
        assert f"model.client_insights.{name}" in page or name in page, name
    assert "mart_client_access_audit" in page


def test_docs_without_a_warehouse_say_what_to_run(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("INSIGHTS_HOME", str(tmp_path / "empty"))
    assert cli.main(["docs", "--output", str(tmp_path / "site")]) == 1
    assert "run `insights demo` or `insights refresh` first" in capsys.readouterr().err
