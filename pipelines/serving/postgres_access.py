"""Row-level security on the PostgreSQL marts, and the member roles it keys on.

Every mart table gets ROW LEVEL SECURITY, forced (so even the owner reads through the
policies), with one SELECT policy for the BI group role:
- a table with `client_id`: rows of the clients in the reader's own rows of
  `bridge_team_member_clients`;
- `bridge_team_member_clients`: the reader's own assignments, when the reader is a member
  whose role sees client documents (a client manager's assignments give no data access);
- `mart_team_member_workload` (per member, no client): the reader's own row;
- `dim_team_members`: every row (colleagues' names and roles are not client data).
A table matching none of these has no policy, so nobody reads it: a new mart is closed until
a rule is added here. The reader is `current_user`, so a login that `SET ROLE`s to a member
(the web page) reads as that member.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from pipelines.serving.pg_access import (
    ACCESS_SCHEMA,
    BI_ROLE,
    MEMBER_ROLE_PREFIX,
    WEB_ROLE,
    member_role_name,
)

MEMBER_ROLES_TABLE = "member_roles"
TABLES_VISIBLE_TO_ALL_MEMBERS = {"dim_team_members"}
BRIDGE = "bridge_team_member_clients"


@dataclass
class MemberAccess:
    granted: list[str] = field(default_factory=list)  # login roles of active members
    revoked: list[str] = field(default_factory=list)  # roles of members no longer active


def _role_exists(cursor: psycopg.Cursor, role: str) -> bool:
    cursor.execute("select 1 from pg_roles where rolname = %s", [role])
    return cursor.fetchone() is not None


def _ensure_role(cursor: psycopg.Cursor, role: str, *, login: bool) -> None:
    option = sql.SQL("login" if login else "nologin")
    if not _role_exists(cursor, role):
        cursor.execute(sql.SQL("create role {} {} nosuperuser nobypassrls nocreatedb "
                               "nocreaterole").format(sql.Identifier(role), option))
    else:
        cursor.execute(sql.SQL("alter role {} {}").format(sql.Identifier(role), option))


def _grant_connect(cursor: psycopg.Cursor) -> None:
    cursor.execute("select current_database()")
    database = cursor.fetchone()[0]
    cursor.execute("savepoint grant_connect")
    try:
        cursor.execute(sql.SQL("grant connect on database {} to {}").format(
            sql.Identifier(database), sql.Identifier(BI_ROLE)))
    except psycopg.errors.InsufficientPrivilege:
        # the database's owner may have granted it already; a missing grant shows at login
        cursor.execute("rollback to savepoint grant_connect")


def _mapping_table(cursor: psycopg.Cursor) -> None:
    cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(ACCESS_SCHEMA)))
    cursor.execute(sql.SQL(
        "create table if not exists {} (role_name name primary key, user_id text not null "
        "unique, sees_client_documents boolean not null)"
    ).format(sql.Identifier(ACCESS_SCHEMA, MEMBER_ROLES_TABLE)))
    cursor.execute(sql.SQL("comment on table {} is {}").format(
        sql.Identifier(ACCESS_SCHEMA, MEMBER_ROLES_TABLE),
        sql.Literal("Which team member each login role is (active members only); rewritten "
                    "at every publish. Row-level security on the marts keys on it."),
    ))
    cursor.execute(sql.SQL("grant usage on schema {} to {}").format(
        sql.Identifier(ACCESS_SCHEMA), sql.Identifier(BI_ROLE)))
    cursor.execute(sql.SQL("grant select on {} to {}").format(
        sql.Identifier(ACCESS_SCHEMA, MEMBER_ROLES_TABLE), sql.Identifier(BI_ROLE)))


def sync_member_roles(
    cursor: psycopg.Cursor, members: Iterable[tuple[str, bool, bool]]
) -> MemberAccess:
    """One login role per active member; roles of members who left lose login and access
    (a member who left before their first publish gets a role without either).

    members: (user_id, is_active, sees_client_documents) for every member in dim_team_members.
    """
    _ensure_role(cursor, BI_ROLE, login=False)
    _ensure_role(cursor, WEB_ROLE, login=True)
    _grant_connect(cursor)
    _mapping_table(cursor)
    access = MemberAccess()
    mapping = []
    active_roles = set()
    for user_id, is_active, sees_documents in members:
        role = member_role_name(user_id)
        if not is_active:
            _ensure_role(cursor, role, login=False)  # revoked below with the other leavers
            continue
        active_roles.add(role)
        _ensure_role(cursor, role, login=True)
        cursor.execute(sql.SQL("grant {} to {}").format(
            sql.Identifier(BI_ROLE), sql.Identifier(role)))
        cursor.execute(sql.SQL("grant {} to {}").format(
            sql.Identifier(role), sql.Identifier(WEB_ROLE)))
        mapping.append((role, user_id, bool(sees_documents)))
        access.granted.append(role)
    cursor.execute("select rolname from pg_roles where rolname like %s order by rolname",
                   [MEMBER_ROLE_PREFIX.replace("_", r"\_") + "%"])
    for (role,) in cursor.fetchall():
        if role in active_roles:
            continue
        # kept, not dropped: the role may own objects or hold grants a DBA gave it
        cursor.execute(sql.SQL("alter role {} nologin").format(sql.Identifier(role)))
        cursor.execute(sql.SQL("revoke {} from {}").format(
            sql.Identifier(BI_ROLE), sql.Identifier(role)))
        cursor.execute(sql.SQL("revoke {} from {}").format(
            sql.Identifier(role), sql.Identifier(WEB_ROLE)))
        access.revoked.append(role)
    table = sql.Identifier(ACCESS_SCHEMA, MEMBER_ROLES_TABLE)
    cursor.execute(sql.SQL("delete from {}").format(table))
    cursor.executemany(
        sql.SQL("insert into {} (role_name, user_id, sees_client_documents) "
                "values (%s, %s, %s)").format(table),
        mapping,
    )
    return access


def _policy_condition(schema: str, table: str, columns: list[str]) -> sql.Composable | None:
    mapping = sql.Identifier(ACCESS_SCHEMA, MEMBER_ROLES_TABLE)
    if table == BRIDGE:
        return sql.SQL(
            "user_id in (select m.user_id from {} m where m.role_name = current_user "
            "and m.sees_client_documents)"
        ).format(mapping)
    if "client_id" in columns:
        return sql.SQL("client_id in (select b.client_id from {} b)").format(
            sql.Identifier(schema, BRIDGE))
    if table in TABLES_VISIBLE_TO_ALL_MEMBERS:
        return sql.SQL("true")
    if "user_id" in columns:
        return sql.SQL(
            "user_id in (select m.user_id from {} m where m.role_name = current_user)"
        ).format(mapping)
    return None


def secure_marts(
    cursor: psycopg.Cursor,
    schema: str,
    tables: dict[str, list[str]],
    *,
    log: Callable[[str], None] = print,
) -> None:
    """Grant the BI group read access to `schema` and put every table behind its policy."""
    if BRIDGE not in tables:
        raise ValueError(f"schema {schema} has no {BRIDGE}: row-level security keys on it")
    cursor.execute(sql.SQL("grant usage on schema {} to {}").format(
        sql.Identifier(schema), sql.Identifier(BI_ROLE)))
    for table, columns in tables.items():
        target = sql.Identifier(schema, table)
        cursor.execute(sql.SQL("alter table {} enable row level security").format(target))
        cursor.execute(sql.SQL("alter table {} force row level security").format(target))
        cursor.execute(sql.SQL("grant select on {} to {}").format(
            target, sql.Identifier(BI_ROLE)))
        condition = _policy_condition(schema, table, columns)
        if condition is None:
            log(f"postgres: {table} has no access rule, so no member can read it")
            continue
        cursor.execute(sql.SQL("create policy member_rows on {} for select to {} using ({})")
                       .format(target, sql.Identifier(BI_ROLE), condition))
