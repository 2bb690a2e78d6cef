"""Helpers of the cross-engine tests: run the dbt project on Spark and PostgreSQL, read the
marts of each engine into Polars, and compare them row for row.

DuckDB runs in-process (tests/dbt/support.py); Spark and PostgreSQL run the `dbt` CLI in a
child process, so each Spark build gets its own JVM with the profile's settings.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
import psycopg

from pipelines.as_of import rfc3339
from tests.dbt.support import DBT_PROJECT, MARTS

REPO = DBT_PROJECT.parent

# Floats (hours_to_process, pct_processed, the percentiles) may differ in their last bits:
# the engines sum and interpolate in their own order. Two floats are equal when they differ
# by at most this share of the larger one (or by FLOAT_ABSOLUTE_TOLERANCE near zero).
FLOAT_RELATIVE_TOLERANCE = 1e-9
FLOAT_ABSOLUTE_TOLERANCE = 1e-9

# The grain of each mart (docs/marts.md): rows are matched on these keys.
GRAIN = {
    "dim_clients": ("client_id",),
    "dim_team_members": ("user_id",),
    "bridge_team_member_clients": ("user_id", "client_id"),
    "fct_documents": ("document_id",),
    "fct_client_category_daily": ("client_id", "category", "activity_date"),
    "fct_client_backlog_daily": ("client_id", "category", "calendar_date"),
    "mart_client_overview": ("client_id",),
    "mart_vat_period_progress": ("client_id", "vat_period_start"),
    "mart_team_member_workload": ("user_id",),
    "mart_client_access_audit": ("user_id", "client_id"),
}
assert set(GRAIN) == set(MARTS)


# ---------------------------------------------------------------------------- comparison


def normalize(frame: pl.DataFrame) -> pl.DataFrame:
    """One representation for every engine: integers Int64, decimals and floats Float64,
    timestamps UTC in microseconds (naive values mean UTC, per the contract)."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype.is_integer():
            column = column.cast(pl.Int64)
        elif dtype.is_decimal() or dtype.is_float():
            column = column.cast(pl.Float64)
        elif isinstance(dtype, pl.Datetime):
            column = column.dt.cast_time_unit("us")
            column = (column.dt.replace_time_zone("UTC") if dtype.time_zone is None
                      else column.dt.convert_time_zone("UTC"))
        columns.append(column)
    return frame.select(columns)


def _differ(left: pl.Series, right: pl.Series, floats: bool) -> pl.Series:
    """Per row: the two values differ (a null equals only a null)."""
    pair = pl.DataFrame({"l": left, "r": right})
    one_null = pl.col("l").is_null() | pl.col("r").is_null()
    if floats:
        scale = pl.max_horizontal(pl.col("l").abs(), pl.col("r").abs())
        unequal = (pl.col("l") - pl.col("r")).abs() > pl.max_horizontal(
            scale * FLOAT_RELATIVE_TOLERANCE, pl.lit(FLOAT_ABSOLUTE_TOLERANCE)
        )
    else:
        unequal = pl.col("l") != pl.col("r")
    return pair.select(
        pl.when(one_null).then(pl.col("l").is_null() != pl.col("r").is_null())
        .otherwise(unequal)
    ).to_series()


def compare_mart(name: str, expected: pl.DataFrame, actual: pl.DataFrame) -> list[str]:
    """The differences between two versions of one mart, as readable lines (empty: equal)."""
    keys = list(GRAIN[name])
    if expected.columns != actual.columns:
        return [f"{name}: columns {actual.columns} instead of {expected.columns}"]
    expected, actual = normalize(expected), normalize(actual)
    # a column read with nothing but nulls has no type of its own (rows fetched from PostgreSQL)
    actual = actual.with_columns(pl.col(column).cast(dtype)
                                 for column, dtype in expected.schema.items()
                                 if actual.schema[column] == pl.Null)
    expected = expected.with_columns(pl.col(column).cast(dtype)
                                     for column, dtype in actual.schema.items()
                                     if expected.schema[column] == pl.Null)
    problems = []
    for column in expected.columns:
        if expected.schema[column] != actual.schema[column]:
            problems.append(f"{name}.{column}: type {actual.schema[column]} instead of "
                            f"{expected.schema[column]}")
    if problems:
        return problems
    for label, frame in (("expected", expected), ("actual", actual)):
        duplicated = frame.filter(frame.select(keys).is_duplicated())
        if duplicated.height:
            problems.append(f"{name}: {duplicated.height} {label} rows share a grain key")
    if expected.height != actual.height:
        problems.append(f"{name}: {actual.height} rows instead of {expected.height}")
    missing = expected.join(actual, on=keys, how="anti", nulls_equal=True)
    extra = actual.join(expected, on=keys, how="anti", nulls_equal=True)
    if missing.height:
        problems.append(f"{name}: {missing.height} rows missing, e.g. "
                        f"{missing.select(keys).sort(keys).row(0, named=True)}")
    if extra.height:
        problems.append(f"{name}: {extra.height} unexpected rows, e.g. "
                        f"{extra.select(keys).sort(keys).row(0, named=True)}")
    both = expected.join(actual, on=keys, how="inner", suffix="__actual", nulls_equal=True)
    for column in expected.columns:
        if column in keys:
            continue
        differ = _differ(both[column], both[f"{column}__actual"],
                         floats=expected.schema[column] == pl.Float64)
        if differ.any():
            example = both.filter(differ).sort(keys).row(0, named=True)
            shown = {key: example[key] for key in keys}
            problems.append(
                f"{name}.{column}: {int(differ.sum())} rows differ, e.g. {shown}: "
                f"{example[f'{column}__actual']!r} instead of {example[column]!r}"
            )
    return problems


def compare_marts(expected: dict[str, pl.DataFrame],
                  actual: dict[str, pl.DataFrame]) -> list[str]:
    problems = []
    for name in MARTS:
        problems += compare_mart(name, expected[name], actual[name])
    return problems


# ---------------------------------------------------------------------------- engines


def dbt_variables(landing: Path, as_of: datetime, timezone: str, url_template: str) -> dict:
    return {"landing_dir": str(landing), "as_of": rfc3339(as_of), "timezone": timezone,
            "documents_url_template": url_template}


@dataclass
class Build:
    engine: str
    seconds: float
    output: str


def run_dbt_cli(engine: str, work: Path, variables: dict, *args: str,
                env: dict[str, str] | None = None, timeout: float = 1800) -> Build:
    """`dbt <args> --target <engine>` in a child process; fails the test with dbt's own
    summary (the lines naming what failed) when dbt exits non-zero."""
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt), *args, "--target", engine,
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps(variables), "--no-use-colors",
    ]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          cwd=work, env={**os.environ, **(env or {})})
    seconds = time.monotonic() - started
    if done.returncode != 0:
        lines = [line for line in done.stdout.splitlines()
                 if any(word in line for word in ("ERROR", "FAIL", "Error", "Done."))
                 and not line.lstrip().startswith("{")]
        raise AssertionError(f"dbt {' '.join(args)} on {engine} failed:\n"
                             + "\n".join(lines[-40:]))
    return Build(engine, seconds, done.stdout)


def spark_environment(warehouse: Path) -> dict[str, str]:
    return {"INSIGHTS_SPARK_WAREHOUSE_DIR": str(warehouse)}


def read_spark_marts(warehouse: Path) -> dict[str, pl.DataFrame]:
    """The marts as Spark wrote them: the Parquet files of the managed tables of schema
    `marts` (the embedded metastore can only be opened by one JVM at a time)."""
    marts = {}
    for name in MARTS:
        folder = warehouse / "marts.db" / name
        files = sorted(folder.glob("*.parquet"))
        assert files, f"Spark wrote no files for marts.{name} under {folder}"
        marts[name] = pl.read_parquet(files)
    return marts


def read_postgres_marts(conninfo: str) -> dict[str, pl.DataFrame]:
    marts = {}
    with psycopg.connect(conninfo) as connection:
        for name in MARTS:
            cursor = connection.execute(f"select * from marts.{name}")  # noqa: S608
            columns = [column.name for column in cursor.description]
            rows = cursor.fetchall()
            marts[name] = pl.DataFrame(rows, schema=columns, orient="row",
                                       infer_schema_length=None)
    return marts


def postgres_environment(port: int) -> dict[str, str]:
    return {"INSIGHTS_DBT_POSTGRES_PORT": str(port)}


def floats_equal(left: float, right: float) -> bool:
    """The tolerance of compare_mart, for one pair (documentation and tests)."""
    return math.isclose(left, right, rel_tol=FLOAT_RELATIVE_TOLERANCE,
                        abs_tol=FLOAT_ABSOLUTE_TOLERANCE)
