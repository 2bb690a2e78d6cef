"""Copies the Parquet landing zone into schema `landing` of a PostgreSQL database, so that the
dbt project can run on PostgreSQL (target `postgres`), which cannot read Parquet itself.

    python -m pipelines.warehouse_targets.postgres_landing LANDING_DIR --dsn postgresql://...

Every load replaces the rows of each landing table, in one transaction: a rerun gives the same
tables, and a failed load leaves the previous ones in place. Tables are emptied and refilled,
not dropped, so the dbt views that read them stay valid. The files of a table are combined
by column name (a column added later reads as null in older files), as DuckDB and Spark read
them. Copying is row by row through COPY: fine for a firm's landing zone, not for billions of
rows (use Spark for those).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from pipelines.landing.zone import LANDING_TABLES, LandingZone

__all__ = ["LANDING_TABLES", "LandingLoadError", "load_landing", "read_landing_table"]
SCHEMA = "landing"


class LandingLoadError(RuntimeError):
    """The landing zone cannot be copied; the message names the table, column or file."""


def postgres_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type of an Arrow type found in the landing zone."""
    # a column without a single value in any file has Arrow's null type: text holds its nulls
    if (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
            or pa.types.is_null(arrow_type)):
        return "text"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"  # as format_type()
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        # an instant (the landing zone writes UTC) or, without a zone, a wall-clock time
        return "timestamp with time zone" if arrow_type.tz else "timestamp"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        element = arrow_type.value_type
        if pa.types.is_list(element) or pa.types.is_large_list(element):
            raise LandingLoadError(f"nested lists ({arrow_type}) have no PostgreSQL array type")
        return f"{postgres_type(element)}[]"
    raise LandingLoadError(f"no PostgreSQL type for the Arrow type {arrow_type}")


def read_landing_table(landing_dir: Path, name: str) -> pa.Table:
    """All files of one landing table, combined by column name."""
    zone = LandingZone(landing_dir)
    files = zone.entity_files(name)
    if not files and name == "holds":  # a landing zone from before the quality gate's holds
        import polars as pl

        from pipelines.held_batches import HOLD_SCHEMA

        return pl.DataFrame(schema=HOLD_SCHEMA).to_arrow()
    if not files:
        raise LandingLoadError(
            f"no Parquet files for landing table {name!r} in {zone.entity_dir(name)}:"
            " is this a landing zone written by the extraction?"
        )
    parts = []
    for path in files:
        try:
            parts.append(pq.read_table(path))
        except (OSError, pa.ArrowException) as error:
            raise LandingLoadError(f"cannot read {path}: {error}") from error
    try:
        return pa.concat_tables(parts, promote_options="permissive")
    except pa.ArrowException as error:
        raise LandingLoadError(f"the files of landing table {name!r} disagree: {error}") from error


def _existing_columns(cursor: psycopg.Cursor, target: sql.Composable) -> dict[str, str] | None:
    """Column name -> type of an existing table (None: no such table)."""
    cursor.execute("select to_regclass(%s)", [target.as_string(cursor)])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped",
        [target.as_string(cursor)],
    )
    return dict(cursor.fetchall())


def _replace_table(cursor: psycopg.Cursor, name: str, table: pa.Table) -> None:
    """Make landing.<name> hold exactly the rows of `table`. An existing table is emptied
    and refilled rather than dropped, so the dbt views reading it stay valid; columns new in
    the files are added (older rows read them as null)."""
    columns = []
    for field in table.schema:
        try:
            columns.append((field.name, postgres_type(field.type)))
        except LandingLoadError as error:
            raise LandingLoadError(
                f"landing table {name!r}, column {field.name!r}: {error}"
            ) from None
    target = sql.Identifier(SCHEMA, name)
    existing = _existing_columns(cursor, target)
    if existing is None:
        cursor.execute(sql.SQL("create table {} ({})").format(
            target,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(type_name))
                for column, type_name in columns
            ),
        ))
    else:
        for column, type_name in columns:
            if column not in existing:
                cursor.execute(sql.SQL("alter table {} add column {} {}").format(
                    target, sql.Identifier(column), sql.SQL(type_name)
                ))
            elif existing[column] != type_name:
                raise LandingLoadError(
                    f"landing table {name!r}, column {column!r}: the files hold {type_name}, "
                    f"the table {existing[column]}; drop schema {SCHEMA} (cascade: the dbt "
                    "views on it are rebuilt by the next dbt run) and load again"
                )
        cursor.execute(sql.SQL("truncate table {}").format(target))
    names = [column for column, _ in columns]
    copy = sql.SQL("copy {} ({}) from stdin").format(
        target, sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with cursor.copy(copy) as writer:
        for batch in table.to_batches(max_chunksize=10_000):
            for row in batch.to_pylist():
                writer.write_row([row[column] for column in names])


def load_landing(landing_dir: Path, conninfo: str) -> dict[str, int]:
    """Replace every table of schema `landing` with the landing zone's files, in one
    transaction; return the rows loaded per table."""
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        raise LandingLoadError(f"the landing zone {landing_dir} does not exist")
    tables = {name: read_landing_table(landing_dir, name) for name in LANDING_TABLES}
    try:
        with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
            for name, table in tables.items():
                _replace_table(cursor, name, table)
    except psycopg.Error as error:
        raise LandingLoadError(
            f"loading the landing zone into PostgreSQL failed: {error}"
        ) from error
    return {name: table.num_rows for name, table in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing_dir", type=Path, help="the landing zone ($INSIGHTS_HOME/landing)")
    parser.add_argument("--dsn", default="",
                        help="libpq connection string or URI (empty: the PG* variables)")
    args = parser.parse_args(argv)
    try:
        counts = load_landing(args.landing_dir, args.dsn)
    except LandingLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, rows in counts.items():
        print(f"{SCHEMA}.{name}: {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
