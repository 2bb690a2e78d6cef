"""One landing zone built on DuckDB, Spark and PostgreSQL with the same vars.

Two extractions of the small simulated world, two days apart. DuckDB and PostgreSQL build
after each one (their second build merges into the incremental models, as a refresh does);
Spark builds once after the second (on Parquet it rebuilds those models whole anyway). The
last read is 22:30 UTC, already the next day in Brussels, so a time zone slip shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.simulator import SimClock
from pipelines.warehouse_targets.postgres_landing import load_landing
from tests.conftest import ANCHOR
from tests.dbt.support import MARTS, extract
from tests.engines.support import (
    Build,
    dbt_variables,
    postgres_environment,
    read_postgres_marts,
    read_spark_marts,
    run_dbt_cli,
    spark_environment,
)
from tests.postgres_server import running_server

TIMEZONE = "Europe/Brussels"
URL_TEMPLATE = "https://docs.example.test/firm/{client_id}/{category}?status={status}&src=bi"
LAST_READ = ANCHOR.replace(hour=22, minute=30) - timedelta(days=1)  # 00:30 next day in Brussels
READS = (LAST_READ - timedelta(days=2), LAST_READ)


@dataclass
class DuckDBBuild:
    """A DuckDB warehouse built through the dbt CLI (the same path as the other engines)."""

    path: Path
    work: Path

    def build(self, landing: Path, variables: dict) -> Build:
        return run_dbt_cli("duckdb", self.work, variables, "build",
                           env={"INSIGHTS_WAREHOUSE_PATH": str(self.path)})

    def marts(self) -> dict[str, pl.DataFrame]:
        with duckdb.connect(str(self.path), read_only=True) as connection:
            return {name: connection.sql(f"select * from marts.{name}").pl() for name in MARTS}


@dataclass
class EngineBuilds:
    landing: Path
    variables: dict
    marts: dict[str, dict[str, pl.DataFrame]] = field(default_factory=dict)
    builds: dict[str, list[Build]] = field(default_factory=dict)
    landing_files_before_spark: list[str] = field(default_factory=list)
    landing_files_after_spark: list[str] = field(default_factory=list)
    postgres_load_seconds: list[float] = field(default_factory=list)


_TIMINGS: list[str] = []  # printed at the end of the session (pytest_terminal_summary)


def pytest_terminal_summary(terminalreporter) -> None:
    if _TIMINGS:
        terminalreporter.section("build times per engine")
        for line in _TIMINGS:
            terminalreporter.write_line(line)


def landing_files(landing: Path) -> list[str]:
    return sorted(str(path.relative_to(landing)) for path in landing.rglob("*") if path.is_file())


@pytest.fixture(scope="session")
def engine_builds(tmp_path_factory, small_world) -> EngineBuilds:
    root = tmp_path_factory.mktemp("engines")
    home = root / "home"
    duck = DuckDBBuild(root / "duckdb" / "warehouse.duckdb", root / "duckdb")
    spark_work = root / "spark"
    postgres_work = root / "postgres"
    for folder in (duck.work, spark_work, postgres_work):
        folder.mkdir(parents=True)
    result = EngineBuilds(landing=home / "landing",
                          variables=dbt_variables(home / "landing", READS[-1], TIMEZONE,
                                                  URL_TEMPLATE))
    result.builds = {"duckdb": [], "spark": [], "postgres": []}
    clock = SimClock(start=READS[0])
    with running_server() as server:
        dsn, port = server.publisher_dsn, server.port
        for read_at in READS:
            clock.advance(read_at - clock.now())
            extract(home, small_world, clock)
            variables = dbt_variables(result.landing, read_at, TIMEZONE, URL_TEMPLATE)
            result.builds["duckdb"].append(duck.build(result.landing, variables))
            started = time.monotonic()
            load_landing(result.landing, dsn)
            result.postgres_load_seconds.append(time.monotonic() - started)
            result.builds["postgres"].append(
                run_dbt_cli("postgres", postgres_work, variables, "build",
                            env=postgres_environment(port))
            )
        result.landing_files_before_spark = landing_files(result.landing)
        warehouse = spark_work / "warehouse"
        result.builds["spark"].append(
            run_dbt_cli("spark", spark_work, result.variables, "build",
                        env=spark_environment(warehouse))
        )
        result.landing_files_after_spark = landing_files(result.landing)
        for engine, builds in result.builds.items():
            seconds = ", ".join(f"{build.seconds:.1f} s" for build in builds)
            _TIMINGS.append(f"{engine}: dbt build {seconds}")
        loads = ", ".join(f"{seconds:.1f} s" for seconds in result.postgres_load_seconds)
        _TIMINGS.append(f"postgres landing load: {loads}")
        result.marts = {
            "duckdb": duck.marts(),
            "spark": read_spark_marts(warehouse),
            "postgres": read_postgres_marts(dsn),
        }
    return result


@pytest.fixture(scope="session")
def duckdb_variant(engine_builds, tmp_path_factory):
    """Builds the final landing zone on DuckDB again with some vars changed."""

    def build(**changes) -> dict[str, pl.DataFrame]:
        work = tmp_path_factory.mktemp("duckdb_variant")
        warehouse = DuckDBBuild(work / "warehouse.duckdb", work)
        warehouse.build(engine_builds.landing, {**engine_builds.variables, **changes})
        return warehouse.marts()

    return build
