"""Read-only connections to the serving database, one per use (a page request, a report).

DuckDB (default): the serving catalog is opened read-only for the request and closed after it;
its views read the generation the publish last switched to (serving/duckdb_file.py), so an
open reader never blocks a refresh and never sees half a publish.

PostgreSQL (INSIGHTS_SERVE_POSTGRES_DSN): the page logs in as `insights_web` and, for the
member signed in, runs `SET ROLE <member role>` so the database's row-level security filters
every query too; `RESET ROLE` before the connection closes.

The SQL of `queries.py` is written once for both engines: `?` placeholders (turned into `%s`
for psycopg), no `%` literals, dates passed as parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from pipelines.serving.pg_access import member_role_name


class ServingUnavailable(RuntimeError):
    """No serving database to read yet (no refresh has published one)."""


class Reader:
    """Runs portable SQL on one open connection; rows come back as dicts."""

    def __init__(self, connection, engine: str):
        self._connection = connection
        self.engine = engine

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self.engine == "postgres":
            with self._connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), list(params))
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        result = self._connection.execute(sql, list(params))
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def act_as(self, user_id: str) -> None:
        """On PostgreSQL, take the member's role so row-level security applies."""
        if self.engine != "postgres":
            return
        from psycopg import sql

        with self._connection.cursor() as cursor:
            cursor.execute(sql.SQL("set role {}").format(sql.Identifier(member_role_name(user_id))))


class Database:
    """Where the page reads from; `open()` yields a Reader for one request."""

    def __init__(self, serving_path: Path, postgres_dsn: str | None = None):
        self.serving_path = serving_path
        self.postgres_dsn = postgres_dsn

    @property
    def engine(self) -> str:
        return "postgres" if self.postgres_dsn else "duckdb"

    @contextmanager
    def open(self) -> Iterator[Reader]:
        if self.postgres_dsn:
            yield from self._open_postgres()
            return
        if not self.serving_path.exists():
            raise ServingUnavailable(str(self.serving_path))
        connection = duckdb.connect(str(self.serving_path), read_only=True)
        try:
            connection.execute("set TimeZone = 'UTC'")
            yield Reader(connection, "duckdb")
        finally:
            connection.close()

    def _open_postgres(self) -> Iterator[Reader]:
        import psycopg

        try:
            connection = psycopg.connect(self.postgres_dsn, autocommit=True)
        except psycopg.OperationalError as error:
            raise ServingUnavailable("the PostgreSQL serving database") from error
        try:
            connection.execute("set time zone 'UTC'")
            connection.execute("set default_transaction_read_only = on")
            yield Reader(connection, "postgres")
        finally:
            try:
                connection.execute("reset role")
            finally:
                connection.close()
