"""The same landed data built on DuckDB, Spark and PostgreSQL gives the same marts, row for row.

Rows are matched on each mart's grain; every other column must be equal, floats within
FLOAT_RELATIVE_TOLERANCE (tests/engines/support.py), timestamps compared as UTC instants.
Slow (a Spark build takes minutes): marker `engines`, run by `make test-engines` and in CI.
"""

from __future__ import annotations

import json
import re

import pytest

from pipelines.dbt_manifest import ensure_manifest
from pipelines.landing.zone import LandingZone
from tests.dbt.support import MARTS
from tests.engines.support import compare_marts

pytestmark = pytest.mark.engines


def _summary(build) -> dict[str, int]:
    done = [line for line in build.output.splitlines() if "Done. PASS=" in line][-1]
    return {key: int(value) for key, value in re.findall(r"([A-Z-]+)=(\d+)", done)}


def test_every_engine_builds_and_passes_every_data_and_unit_test(engine_builds):
    summaries = {engine: [_summary(build) for build in builds]
                 for engine, builds in engine_builds.builds.items()}
    reference = summaries["duckdb"][-1]
    # every model, seed, data test and unit test of the project passed (not a fixed number:
    # the count follows the project, e.g. one not_null_columns test per model)
    manifest = json.loads(ensure_manifest().read_text())
    built = sum(1 for node in manifest["nodes"].values()
                if node["resource_type"] in ("model", "seed", "test")) + len(manifest["unit_tests"])
    assert reference["PASS"] >= built and reference["ERROR"] == 0, (reference, built)
    for engine, runs in summaries.items():
        for summary in runs:
            assert summary == reference, f"{engine}: {summary} instead of {reference}"


def test_spark_gives_the_duckdb_marts(engine_builds):
    assert compare_marts(engine_builds.marts["duckdb"], engine_builds.marts["spark"]) == []


def test_postgres_gives_the_duckdb_marts(engine_builds):
    assert compare_marts(engine_builds.marts["duckdb"], engine_builds.marts["postgres"]) == []


def test_the_marts_compared_hold_figures(engine_builds):
    for engine, marts in engine_builds.marts.items():
        empty = [name for name in MARTS if marts[name].height == 0]
        assert not empty, f"{engine}: empty marts {empty}"
    assert engine_builds.marts["duckdb"]["fct_client_backlog_daily"].height > 1000


def test_spark_reads_the_landing_zone_in_place_and_leaves_it_untouched(engine_builds):
    assert engine_builds.landing_files_after_spark == engine_builds.landing_files_before_spark
    zone = LandingZone(engine_builds.landing)
    documents = {str(path.relative_to(zone.root)) for path in zone.landed_files("documents")}
    assert documents and documents <= set(engine_builds.landing_files_after_spark)


def test_the_comparison_catches_another_as_of(engine_builds, duckdb_variant):
    earlier = duckdb_variant(as_of="2026-06-13T22:30:00.000000Z")
    problems = compare_marts(engine_builds.marts["duckdb"], earlier)
    assert any(problem.startswith("mart_client_overview.data_as_of") for problem in problems)
    assert any(problem.startswith("fct_client_backlog_daily:") for problem in problems)


def test_the_comparison_catches_another_time_zone(engine_builds, duckdb_variant):
    new_york = duckdb_variant(timezone="America/New_York")
    problems = compare_marts(engine_builds.marts["duckdb"], new_york)
    assert any(problem.startswith("fct_documents.received_date") for problem in problems)
