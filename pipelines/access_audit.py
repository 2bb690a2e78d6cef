"""`insights access-audit`: who can see which client, from the published marts, and (when
PostgreSQL serves the marts) whether the database's roles agree.

The report reads `marts.mart_client_access_audit` from the serving DuckDB file (through the
read model, pipelines/read_model). With
INSIGHTS_POSTGRES_DSN set it also lists every member role in PostgreSQL with whether it can
log in and holds the BI group role, and flags a member who left but still can.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.read_model import queries
from pipelines.read_model.connection import Database
from pipelines.serving.pg_access import BI_ROLE, MEMBER_ROLE_PREFIX, member_role_name

COLUMNS = queries.ACCESS_AUDIT_COLUMNS


class AuditError(RuntimeError):
    pass


@dataclass(frozen=True)
class RoleState:
    role: str
    can_login: bool
    in_bi_group: bool


def audit_rows(serving_path: Path, *, member: str | None = None, client: str | None = None,
               include_denied: bool = False) -> list[dict]:
    if not serving_path.exists():
        raise AuditError(f"no serving database at {serving_path}: run `insights refresh` first")
    with Database(serving_path).open() as reader:
        return queries.access_audit(reader, member=member, client=client,
                                    include_denied=include_denied)


def postgres_roles(dsn: str) -> dict[str, RoleState]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        rows = connection.execute(
            "select r.rolname, r.rolcanlogin, pg_has_role(r.oid, %s, 'member') "
            "from pg_roles r where r.rolname like %s",
            [BI_ROLE, MEMBER_ROLE_PREFIX.replace("_", r"\_") + "%"],
        ).fetchall()
    return {name: RoleState(name, login, member) for name, login, member in rows}


def team_members(serving_path: Path) -> list[tuple[str, str, bool]]:
    """(user_id, email, is_active) of every member, assigned or not."""
    with Database(serving_path).open() as reader:
        return [(m["user_id"], m["email"], m["is_active"]) for m in queries.team_members(reader)]


def role_problems(members: list[tuple[str, str, bool]], roles: dict[str, RoleState]) -> list[str]:
    """Members who left but whose database role still logs in or opens the marts."""
    problems = []
    for user_id, email, is_active in members:
        state = roles.get(member_role_name(user_id))
        if state and not is_active and (state.can_login or state.in_bi_group):
            problems.append(f"{email} left the firm but role {state.role} can still "
                            "log in or read the marts")
    return problems


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["user_id", *COLUMNS, "member_is_active"])
        writer.writeheader()
        writer.writerows(rows)


def print_report(rows: list[dict], emit: Callable[[str], None]) -> None:
    if not rows:
        emit("No matching access.")
        return
    emit(f"{'member':<32}{'client':<34}{'level':<6}{'sees':<6}reason")
    for row in rows:
        emit(f"{(row['email'] or row['user_id'])[:31]:<32}"
             f"{(row['client_name'] or row['client_id'])[:33]:<34}"
             f"{(row['access_level'] or '')[:5]:<6}"
             f"{'yes' if row['can_see_client_data'] else 'no':<6}{row['access_reason']}")
    seeing = [r for r in rows if r["can_see_client_data"]]
    emit("")
    emit(f"{len(rows)} assignment(s); {len({r['user_id'] for r in seeing})} member(s) see "
         f"{len({r['client_id'] for r in seeing})} client(s).")
