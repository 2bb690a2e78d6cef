"""A stand-in for the PostgreSQL publish step (built on main, not on this branch): copies the
marts of a DuckDB serving file into schema `marts` of a local PostgreSQL and sets up the roles
of pipelines/serving/pg_access.py with row-level security on every table holding client_id.
Only for testing the page's PostgreSQL mode until the real publisher is merged."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from pipelines.serving.pg_access import ACCESS_SCHEMA, BI_ROLE, WEB_ROLE, member_role_name

ROOT = Path(__file__).resolve().parents[2]
TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DATE": "date",
         "BOOLEAN": "boolean", "DOUBLE": "double precision", "HUGEINT": "numeric",
         "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIMESTAMP": "timestamp"}


def local_postgres():
    spec = importlib.util.spec_from_file_location("local_postgres",
                                                  ROOT / "scripts" / "local_postgres.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pg_type(duck_type: str) -> str:
    if duck_type.startswith("DECIMAL"):
        return duck_type.replace("DECIMAL", "numeric")
    return TYPES[duck_type]


def publish_with_rls(serving_path: Path, superuser_dsn: str) -> None:
    with duckdb.connect(str(serving_path), read_only=True) as duck, \
            psycopg.connect(superuser_dsn, autocommit=True) as pg:
        duck.execute("set TimeZone = 'UTC'")
        pg.execute("set time zone 'UTC'")
        pg.execute("create schema marts")
        pg.execute(f"create schema {ACCESS_SCHEMA}")
        pg.execute(f"create role {BI_ROLE} nologin")
        pg.execute(f"create role {WEB_ROLE} login")
        pg.execute(f"grant usage on schema marts, {ACCESS_SCHEMA} to {BI_ROLE}")
        pg.execute(f"grant {BI_ROLE} to {WEB_ROLE}")
        database = pg.execute("select current_database()").fetchone()[0]
        pg.execute(sql.SQL("grant connect on database {} to {}").format(
            sql.Identifier(database), sql.Identifier(WEB_ROLE)))
        pg.execute(f"create table {ACCESS_SCHEMA}.member_roles (role_name text, user_id text)")
        tables = [t for (t,) in duck.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " order by table_name").fetchall()]
        for table in tables:
            columns = duck.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [table]).fetchall()
            pg.execute(f"create table marts.{table} ("
                       + ", ".join(f"{name} {_pg_type(kind)}" for name, kind in columns) + ")")
            rows = duck.execute(f"select * from marts.{table}").fetchall()
            with pg.cursor() as cursor, cursor.copy(f"copy marts.{table} from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
            if any(name == "client_id" for name, _ in columns):
                pg.execute(f"alter table marts.{table} enable row level security")
                mine = ("user_id in (select user_id from insights_access.member_roles"
                        " where role_name = current_user)")
                if table != "bridge_team_member_clients":
                    mine = ("client_id in (select client_id from"
                            f" marts.bridge_team_member_clients where {mine})")
                pg.execute(f"create policy member_rows on marts.{table} for select using ({mine})")
        pg.execute(f"grant select on all tables in schema marts, {ACCESS_SCHEMA} to {BI_ROLE}")
        for (user_id,) in duck.execute("select user_id from marts.dim_team_members").fetchall():
            role = sql.Identifier(member_role_name(user_id))
            pg.execute(sql.SQL("create role {} login in role {}").format(
                role, sql.Identifier(BI_ROLE)))
            pg.execute(sql.SQL("grant {} to {}").format(role, sql.Identifier(WEB_ROLE)))
            pg.execute(f"insert into {ACCESS_SCHEMA}.member_roles values (%s, %s)",
                       [member_role_name(user_id), user_id])
