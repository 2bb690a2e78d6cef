"""Helpers of the dbt tests: run dbt in-process on a landing zone built by the real extraction."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from dbt.cli.main import dbtRunner, dbtRunnerResult

from pipelines.as_of import rfc3339
from pipelines.assets.landing import LANDING_ASSETS
from pipelines.landing.zone import LandingZone
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import load_settings

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
MARTS = (
    "dim_clients", "dim_team_members", "bridge_team_member_clients", "fct_documents",
    "fct_client_category_daily", "fct_client_backlog_daily", "mart_client_overview",
    "mart_vat_period_progress", "mart_team_member_workload", "mart_client_access_audit",
)
INCREMENTAL_MODELS = ("int_document_versions", "int_backlog_document_events")


@contextlib.contextmanager
def _environment(**values: str):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance open in the process after an in-process run;
    close it so the file can be copied, read or built again with another configuration."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


@dataclass
class Warehouse:
    """One DuckDB warehouse file with its own dbt target and log folders (no collisions)."""

    path: Path
    work: Path

    def dbt(self, *args: str, landing_dir: Path, as_of: datetime | None,
            extra_vars: dict[str, str] | None = None) -> dbtRunnerResult:
        variables = {"landing_dir": str(landing_dir), **(extra_vars or {})}
        if as_of is not None:  # None: the as-of must come from INSIGHTS_RUN_AS_OF
            variables["as_of"] = rfc3339(as_of)
        command = [
            *args,
            "--project-dir", str(DBT_PROJECT),
            "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(self.work / "target"),
            "--log-path", str(self.work / "logs"),
            "--vars", json.dumps(variables),
            "--no-use-colors",
        ]
        with _environment(INSIGHTS_WAREHOUSE_PATH=str(self.path)):
            try:
                return dbtRunner().invoke(command)
            finally:
                _release_duckdb()

    def copy(self, path: Path) -> Warehouse:
        shutil.copyfile(self.path, path)
        return Warehouse(path, path.parent / f"{path.stem}-dbt")

    def query(self, sql: str) -> pl.DataFrame:
        with duckdb.connect(str(self.path), read_only=True) as connection:
            return connection.sql(sql).pl()

    def execute(self, *statements: str) -> None:
        with duckdb.connect(str(self.path)) as connection:
            for statement in statements:
                connection.execute(statement)


def statuses(result: dbtRunnerResult) -> dict[str, str]:
    """Node name -> status of a dbt invocation (a unit test is named model::test)."""
    if result.result is None:
        raise AssertionError(f"dbt did not run: {result.exception}")
    out = {}
    for node_result in result.result.results:
        node = node_result.node
        if node.resource_type == "exposure":  # documentation of a dashboard: nothing runs
            continue
        name = node.name
        if node.resource_type == "unit_test":
            # a unit test that errored is reported as its definition, which names the model
            tested = getattr(node, "tested_node_unique_id", None)
            model = tested.rsplit(".", 1)[-1] if tested else node.model
            name = f"{model}::{node.name}"
        out[name] = str(node_result.status)
    return out


def failures(result: dbtRunnerResult) -> dict[str, str]:
    return {name: status for name, status in statuses(result).items()
            if status not in ("success", "pass")}


def extract(home: Path, world, clock) -> None:
    """One extraction of the real pipeline against the simulator at the clock's time: the
    landing assets only (the full refresh job would also run this dbt project and publish)."""
    settings = InsightsSettings(load_settings(
        {"INSIGHTS_HOME": str(home), "INSIGHTS_API_PAGE_SIZE": "1000"}
    ))
    api = SimulatedClientSpacesApi(settings, world=world, clock=clock)
    try:
        result = dg.materialize(
            LANDING_ASSETS, resources={"settings": settings, "api": api},
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
        )
    finally:
        api.close()
    failed_checks = [
        check for check in result.get_asset_check_evaluations() if not check.passed
    ]
    assert result.success and not failed_checks, failed_checks


def reland_a_document_file(landing: Path) -> Path:
    """Land the rows of one document file again in a new, later batch (a duplicate landing)."""
    zone = LandingZone(landing)
    files = zone.landed_files("documents")
    source = files[len(files) // 2]
    # Later than every batch id landed so far, also within the same second.
    batch_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}Z-zzzzzzzz"
    frame = pl.read_parquet(source).with_columns(_batch_id=pl.lit(batch_id))
    with zone.writing():
        return zone.land_documents(frame, zone.space_of(source), batch_id, 0)


def find_late_commit(world, earliest: datetime, latest: datetime):
    """A version committed late (visible well after its updated_at) in a readable space, and a
    read time before it is visible but after a newer version of the same space is."""
    versions = world.versions
    late = versions.filter(
        (pl.col("visible_at") > pl.col("updated_at") + timedelta(seconds=30))
        & pl.col("updated_at").is_between(earliest, latest)
    )
    readable = {s["id"] for s in world.spaces_at(latest)
                if s["link_status"] == "ACTIVE" and world.space_accessible(s["id"], latest)}
    for row in late.sort("updated_at").iter_rows(named=True):
        if row["space_id"] not in readable:
            continue
        read_at = row["visible_at"] - timedelta(seconds=1)
        newer = versions.filter(
            (pl.col("space_id") == row["space_id"]) & (pl.col("updated_at") > row["updated_at"])
            & (pl.col("visible_at") <= read_at)
        )
        if newer.height:
            return row, read_at
    return None, None


def find_reopen(world, after: datetime, before: datetime):
    """A read time between a document's PROCESSED version and its re-opening, so that one
    extraction lands the processed state and the one at `before` the re-opened state."""
    versions = world.versions.sort("document_id", "updated_at").with_columns(
        previous_status=pl.col("accounting_status").shift(1).over("document_id"),
        previous_visible_at=pl.col("visible_at").shift(1).over("document_id"),
        next_updated_at=pl.col("updated_at").shift(-1).over("document_id"),
    )
    readable = {s["id"] for s in world.spaces_at(before)
                if s["link_status"] == "ACTIVE" and world.space_accessible(s["id"], before)}
    reopens = versions.filter(
        (pl.col("previous_status") == "PROCESSED")
        & (pl.col("accounting_status") != "PROCESSED")
        & (pl.col("updated_at") - timedelta(minutes=1) > pl.col("previous_visible_at"))
        & (pl.col("updated_at") - timedelta(minutes=1) > after)
        & (pl.col("visible_at") <= before)
        & (pl.col("next_updated_at").is_null() | (pl.col("next_updated_at") > before))
    ).sort("updated_at")
    for row in reopens.iter_rows(named=True):
        if row["space_id"] in readable:
            return row, row["updated_at"] - timedelta(minutes=1)
    return None, None


def table_differences(left: Path, right: Path, relation: str) -> tuple[int, int, int]:
    """(rows, rows only in left, rows only in right) of one relation in two warehouses.

    Columns are matched by name (a column added to an existing table comes last); both sides
    must have the same ones."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{left}' as l (read_only)")
        connection.execute(f"attach '{right}' as r (read_only)")
        rows = connection.execute(f"select count(*) from l.{relation}").fetchall()[0][0]
        names = {side: [column[0] for column in connection.execute(
            f"select * from {side}.{relation} limit 0").description] for side in ("l", "r")}
        assert sorted(names["l"]) == sorted(names["r"]), f"{relation}: columns differ: {names}"
        columns = ", ".join(f'"{name}"' for name in names["l"])

        def only_in(first: str, second: str) -> int:
            return connection.execute(
                f"select count(*) from (select {columns} from {first}.{relation}"
                f" except all select {columns} from {second}.{relation})"
            ).fetchall()[0][0]

        only_left, only_right = only_in("l", "r"), only_in("r", "l")
    return rows, only_left, only_right
