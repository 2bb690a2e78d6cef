"""Every SQL block of docs/metabase.md runs on the demo marts in DuckDB and PostgreSQL and
gives the same answer; the KPIs agree with fct_documents; the exposures name the marts the
guide reads. The guide cannot rot without this failing."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.published_firm import AS_OF
from tests.serving.support import accountants_with_clients

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "metabase.md"
EXPOSURES = ROOT / "dbt_project" / "models" / "marts" / "_exposures.yml"
BLOCK = re.compile(r"^### (?P<title>[^\n]+)$(?:(?!^### ).)*?^```sql\n(?P<sql>.*?)^```",
                   re.MULTILINE | re.DOTALL)
OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
VARIABLE = re.compile(r"\{\{(\w+)\}\}")


def guide_queries() -> dict[str, str]:
    queries = {m["title"]: m["sql"] for m in BLOCK.finditer(GUIDE.read_text())}
    assert len(queries) == GUIDE.read_text().count("```sql"), "every block has a ### title"
    return queries


def render(query: str, values: dict[str, str]) -> str:
    """Metabase's substitution: [[...]] only when all its variables are set."""
    def optional(match: re.Match) -> str:
        used = VARIABLE.findall(match[1])
        return match[1] if all(v in values for v in used) else ""

    query = OPTIONAL.sub(optional, query)
    missing = set(VARIABLE.findall(query)) - values.keys()
    assert not missing, f"required variables without a value: {missing}"
    return VARIABLE.sub(lambda m: values[m[1]], query)


def normalized(rows) -> list[tuple]:
    def value(v):
        if isinstance(v, Decimal | float):
            return round(float(v), 6)
        if isinstance(v, datetime):
            return v.timestamp()
        if isinstance(v, date):
            return v.isoformat()
        return v
    return [tuple(value(v) for v in row) for row in rows]


@pytest.fixture(scope="module")
def scenario(published_firm):
    accountant = accountants_with_clients(published_firm.serving_path)[0]
    with duckdb.connect(str(published_firm.serving_path), read_only=True) as con:
        client = con.execute(
            "select client_id from marts.mart_client_overview where client_id in "
            "(select unnest(?)) and documents_total > 0 order by priority_rank limit 1",
            [sorted(accountant.clients)]).fetchone()[0]
    end = AS_OF.date()
    values = {"client_id": f"'{client}'", "date_from": f"date '{end - timedelta(days=90)}'",
              "date_to": f"date '{end}'"}
    return published_firm, accountant, client, values


def test_the_guide_has_every_dashboard_card():
    titles = set(guide_queries())
    assert {"Client picker", "Data as of", "Insights KPIs for a client and a date range",
            "Per category, with \"Go to documents\"", "Clients needing attention first",
            "VAT period progress of a client", "Backlog over time"} <= titles


@pytest.mark.parametrize("with_client", [True, False], ids=["client", "no-client"])
def test_every_query_gives_the_same_rows_on_duckdb_and_postgres(scenario, with_client):
    served, _, _, values = scenario
    if not with_client:
        values = {k: v for k, v in values.items() if k != "client_id"}
    ran = 0
    with duckdb.connect(str(served.serving_path), read_only=True) as con, \
            served.postgres.admin() as admin:
        for title, query in guide_queries().items():
            if "client_id}}" in OPTIONAL.sub("", query) and "client_id" not in values:
                continue  # a required client filter: Metabase would not run it either
            sql = render(query, values)
            on_duckdb = normalized(con.execute(sql).fetchall())
            on_postgres = normalized(admin.execute(sql).fetchall())
            assert on_duckdb, f"{title}: no rows on the demo data"
            assert on_duckdb == on_postgres, title
            ran += 1
    assert ran >= (7 if with_client else 4)


def test_a_member_runs_every_query_under_row_level_security(scenario):
    served, accountant, _, values = scenario
    with served.postgres.admin() as admin, served.postgres.connect_as(accountant.role) as member:
        for title, query in guide_queries().items():
            sql = render(query, values)
            as_member = normalized(member.execute(sql).fetchall())
            as_admin = normalized(admin.execute(sql).fetchall())
            if "{{client_id}}" in query or "Data as of" in title:
                assert as_member == as_admin, title  # the member's own client: all of it
            else:
                assert set(as_member) <= set(as_admin), title
        picker = {c for c, _ in member.execute(render(guide_queries()["Client picker"], {}))}
        assert picker <= accountant.clients


def test_the_kpis_agree_with_fct_documents(scenario):
    served, _, client, values = scenario
    sql = render(guide_queries()["Insights KPIs for a client and a date range"], values)
    with duckdb.connect(str(served.serving_path), read_only=True) as con:
        shown = con.execute(sql).fetchone()
        counted = con.execute(f"""
            select count(*),
                   count(*) filter (where insights_status = 'processed'),
                   count(*) filter (where insights_status = 'accountant_action_needed'),
                   count(*) filter (where insights_status = 'client_action_needed')
            from marts.fct_documents
            where client_id = {values['client_id']}
              and activity_date between {values['date_from']} and {values['date_to']}
        """).fetchone()
    assert shown == counted and counted[0] > 0


def test_the_exposures_name_exactly_the_marts_the_guide_reads():
    read = set(re.findall(r"marts\.(\w+)", "\n".join(guide_queries().values())))
    exposures = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    referenced = {ref for exposure in exposures for dep in exposure["depends_on"]
                  for ref in re.findall(r"ref\('(\w+)'\)", dep)}
    assert referenced == read
    assert all(exposure["type"] == "dashboard" for exposure in exposures)
