"""Who is who in the served firm, read from the published DuckDB marts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.serving.duckdb_file import copy_marts_as_tables
from pipelines.serving.pg_access import member_role_name

CLIENT_TABLES = (
    "bridge_team_member_clients", "dim_clients", "fct_documents", "fct_client_category_daily",
    "fct_client_backlog_daily", "mart_client_overview", "mart_vat_period_progress",
    "mart_client_access_audit",
)


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    roles: str
    is_active: bool
    sees_documents: bool
    clients: frozenset[str]  # the member's rows in bridge_team_member_clients

    @property
    def role(self) -> str:
        return member_role_name(self.user_id)


def members(serving_path: Path) -> list[Member]:
    with duckdb.connect(str(serving_path), read_only=True) as con:
        rows = con.execute("""
            select m.user_id, m.email, m.roles, m.is_active, m.sees_client_documents,
                   coalesce(list(b.client_id) filter (where b.client_id is not null), [])
            from marts.dim_team_members m
            left join marts.bridge_team_member_clients b on b.user_id = m.user_id
            group by all order by m.email
        """).fetchall()
    return [Member(u, e, r, a, s, frozenset(c)) for u, e, r, a, s, c in rows]


def accountants_with_clients(serving_path: Path) -> list[Member]:
    return [m for m in members(serving_path) if m.is_active and m.sees_documents and m.clients]


def copy_serving(serving_path: Path, target: Path, *statements: str) -> Path:
    """The served marts copied into a DuckDB file of their own (tables, not the serving
    file's views), with some statements applied: a different published set."""
    copy_marts_as_tables(serving_path, target)
    with duckdb.connect(str(target)) as con:
        for statement in statements:
            con.execute(statement)
    return target


def signature(connection, schema: str = "marts") -> tuple:
    """One statement, one snapshot: figures that differ between two published sets."""
    return connection.execute(f"""
        select (select count(*) from {schema}.fct_documents),
               (select count(*) from {schema}.fct_client_backlog_daily),
               (select count(*) from {schema}.bridge_team_member_clients),
               (select max(data_as_of) from {schema}.mart_client_overview)
    """).fetchone()
