"""Publish the marts to PostgreSQL: load a new schema, secure it, and swap it in at once.

The marts are copied from the serving DuckDB file (the set just published there, so both
targets serve the same figures) into schema `marts_next`, with row-level security and grants
in place before anyone can see it. One transaction then renames `marts` away and `marts_next`
to `marts`, and brings the member roles and the role-to-member mapping in line with the new
assignments. A query sees the old complete set or the new one, never a mix, and a failure at
any point rolls back to the old set untouched. The retired schema is dropped afterwards with a
short lock timeout, so a long-running reader of the old set delays only its own cleanup (it
is retried at the next publish), never the publish itself.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from pipelines.read_model.connection import Reader
from pipelines.read_model.queries import member_states
from pipelines.serving.keys import keys_of, serving_keys
from pipelines.serving.postgres_access import MemberAccess, secure_marts, sync_member_roles
from pipelines.serving.postgres_types import postgres_type

MARTS = "marts"
NEXT = "marts_next"
RETIRED_PREFIX = "marts_retired_"
COPY_CHUNK_BYTES = 1 << 20
RETIRED_DROP_LOCK_TIMEOUT = "5s"


class PostgresPublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    postgres_type: str


@dataclass(frozen=True)
class PublishResult:
    rows: dict[str, int]
    members: MemberAccess
    retired_schemas_left: list[str]


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[Column]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [MARTS],
    ).fetchall()
    tables: dict[str, list[Column]] = {}
    for table, column, duckdb_type in rows:
        tables.setdefault(table, []).append(
            Column(column, postgres_type(duckdb_type, f"{table}.{column}"))
        )
    return tables


def _export_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    # UTC so timestamptz values carry +00; NULL and '' differ in CSV (empty vs quoted "")
    con.execute(
        f"copy (select * from {MARTS}.\"{table}\") to '{path}' (format csv, header false)"
    )
    return con.execute(f'select count(*) from {MARTS}."{table}"').fetchone()[0]


def _create_and_copy(cursor: psycopg.Cursor, table: str, columns: list[Column], path: Path):
    target = sql.Identifier(NEXT, table)
    cursor.execute(sql.SQL("create table {} ({})").format(
        target,
        sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.postgres_type))
            for c in columns
        ),
    ))
    with open(path, "rb") as handle, cursor.copy(
        sql.SQL("copy {} from stdin (format csv)").format(target)
    ) as copy:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            copy.write(chunk)


def _index(cursor: psycopg.Cursor, table: str, keys: tuple[str, ...]) -> None:
    """The mart's declared index (serving/keys.py), if it declares one."""
    if not keys:
        return
    cursor.execute(sql.SQL("create index on {} ({})").format(
        sql.Identifier(NEXT, table), sql.SQL(", ").join(map(sql.Identifier, keys))
    ))


def drop_retired_schemas(connection: psycopg.Connection) -> list[str]:
    """Drop schemas retired by earlier swaps; return those a reader still holds."""
    left = []
    schemas = connection.execute(
        "select nspname from pg_namespace where nspname like %s order by nspname",
        [RETIRED_PREFIX + "%"],
    ).fetchall()
    for (schema,) in schemas:
        try:
            with connection.transaction():
                connection.execute(
                    sql.SQL("set local lock_timeout = {}").format(
                        sql.Literal(RETIRED_DROP_LOCK_TIMEOUT)
                    )
                )
                connection.execute(
                    sql.SQL("drop schema {} cascade").format(sql.Identifier(schema))
                )
        except psycopg.errors.LockNotAvailable:
            left.append(schema)
    return left


def publish_postgres(
    serving_path: Path,
    dsn: str,
    *,
    log: Callable[[str], None] = print,
) -> PublishResult:
    """Copy every mart of the serving DuckDB file to schema `marts` of the database at dsn."""
    with tempfile.TemporaryDirectory(prefix="insights-pg-") as scratch, duckdb.connect(
        str(serving_path), read_only=True
    ) as source:
        source.execute("set TimeZone = 'UTC'")
        tables = _mart_columns(source)
        if not tables:
            raise PostgresPublishError(f"{serving_path} has no tables in schema {MARTS}")
        members = member_states(Reader(source, "duckdb"))
        exports: dict[str, tuple[Path, int]] = {}
        for table in tables:
            path = Path(scratch) / f"{table}.csv"
            exports[table] = (path, _export_csv(source, table, path))
        try:
            connection = psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as error:
            raise PostgresPublishError(
                f"cannot connect to INSIGHTS_POSTGRES_DSN: {str(error).strip()}"
            ) from error
        with connection:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(sql.SQL("drop schema if exists {} cascade").format(
                    sql.Identifier(NEXT)))
                cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(NEXT)))
                declared = serving_keys()
                for table, columns in tables.items():
                    path, rows = exports[table]
                    _create_and_copy(cursor, table, columns, path)
                    _index(cursor, table,
                           keys_of(table, (c.name for c in columns), declared).index)
                    log(f"postgres: loaded {table} ({rows:,} rows)")
                access = sync_member_roles(cursor, members)
                secure_marts(cursor, NEXT, {t: [c.name for c in cs] for t, cs in tables.items()},
                             log=log)
                retired = RETIRED_PREFIX + uuid.uuid4().hex[:12]
                cursor.execute("select 1 from pg_namespace where nspname = %s", [MARTS])
                if cursor.fetchone():
                    cursor.execute(sql.SQL("alter schema {} rename to {}").format(
                        sql.Identifier(MARTS), sql.Identifier(retired)))
                cursor.execute(sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(NEXT), sql.Identifier(MARTS)))
            for table in tables:
                connection.execute(sql.SQL("analyze {}").format(sql.Identifier(MARTS, table)))
            left = drop_retired_schemas(connection)
            if left:
                log(f"postgres: {', '.join(left)} still read by a session; dropped next time")
    return PublishResult(
        rows={table: rows for table, (_, rows) in exports.items()},
        members=access,
        retired_schemas_left=left,
    )
