"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks.

dbt receives everything it needs from the one settings module: absolute paths under
INSIGHTS_HOME, the time zone and URL template as vars (the same on every run, so dbt's partial
parsing stays valid), the run's as-of as an environment variable (see pipelines/as_of.py).
Dagster and dbt can never point at different DuckDB files.
"""

import contextlib
import io
import json
import os
import re
from typing import Any

import dagster as dg
import duckdb

from pipelines.as_of import DBT_AS_OF_ENV, MissingAsOf, rfc3339, run_as_of
from pipelines.dagster_dbt_api import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from pipelines.dbt_manifest import dbt_cli, dbt_project
from pipelines.held_batches import HoldStore
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.serving.leftovers import clean_leftovers
from pipelines.settings import Settings

FULL_REFRESH_TAG = "insights/full_refresh"  # "true": rebuild incremental models from scratch
# dbt's log file (target/dbt.log) at INFO unless set: the DEBUG default writes every query and
# connection event, ~0.5 s of a small firm's build (measured); the compiled SQL of each node
# stays in target/run, and DBT_LOG_LEVEL_FILE=debug brings the rest back.
DBT_FILE_LOG_LEVEL_ENV = "DBT_LOG_LEVEL_FILE"

# Parses the project only under `dagster dev`; `insights` and the tests call ensure_manifest().
dbt_project.prepare_if_dev()


class FolderGroupTranslator(DagsterDbtTranslator):
    """Groups follow the model folders; sources share the landing assets' keys."""

    def get_asset_key(self, dbt_resource_props: dict[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str:
        if dbt_resource_props["resource_type"] == "source":
            return "landing"
        fqn = dbt_resource_props.get("fqn", [])
        # fqn = [project, folder, ..., name]; seeds and top-level models have no folder.
        return fqn[1] if len(fqn) > 2 else f"{dbt_resource_props['resource_type']}s"


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The vars of every dbt invocation: constant for one INSIGHTS_HOME, so dbt keeps its parse."""
    return {
        "landing_dir": str(settings.landing_dir),
        "warehouse_path": str(settings.warehouse_path),
        "timezone": settings.timezone,
        "documents_url_template": settings.documents_url_template,
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "dbt_threads": str(settings.dbt_threads),
    }


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=FolderGroupTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def warehouse_models(
    context: dg.AssetExecutionContext, settings: dg.ResourceParam[InsightsSettings]
):
    config = settings.get()
    config.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        as_of = rfc3339(run_as_of(context.run.tags))
    except MissingAsOf as error:
        raise dg.Failure(str(error), allow_retries=False) from None
    context.log.info(f"dbt build as of {as_of} into {config.warehouse_path}")
    dbt = dbt_cli()
    log_path = config.home / "logs" / f"dbt-{context.run.run_id}.log"
    context.log.info(f"full dbt output: {log_path}")
    with (
        config.writing(on_wait=context.log.info),
        DbtOutput(log_path, context.log.info) as output,
        contextlib.redirect_stdout(output),
    ):
        HoldStore(config.landing_dir).ensure()  # a landing zone from before the holds
        clean_leftovers(config, context.log.warning)
        # Unit tests check the SQL on fixed inputs, not the data: the test suite and CI run
        # them (tests/dbt); a refresh would pay seconds for an answer that cannot change.
        args = ["build", "--exclude-resource-type", "unit_test",
                "--vars", json.dumps(dbt_vars(config))]
        if context.run.tags.get(FULL_REFRESH_TAG) == "true":
            args.append("--full-refresh")
        # One target folder per INSIGHTS_HOME (dagster-dbt's default is a new one per run):
        # dbt keeps its partial parse there, and the writer lock keeps runs from sharing it.
        with _environment({DBT_AS_OF_ENV: as_of,
                           DBT_FILE_LOG_LEVEL_ENV: os.environ.get(DBT_FILE_LOG_LEVEL_ENV, "info")}):
            invocation = dbt.cli(args, context=context, raise_on_error=False,
                                 target_path=dbt_target_path(config))
        events = list(invocation.stream())
        # Row counts are read once dbt has let go of the file (one writer or many readers),
        # still under the writer lock so no other run starts writing meanwhile.
        events = with_row_counts(events, config.warehouse_path)
    yield from events
    if not invocation.is_successful():
        raise dg.Failure(
            "dbt build failed: " + ("; ".join(_failures(invocation)) or "see the dbt log"),
            metadata={"dbt_log": str(invocation.target_path / "dbt.log")},
        )


def dbt_target_path(settings: Settings):
    return settings.home / "dbt" / "target"


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """Set variables for the dbt subprocess, which copies this process's environment."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class DbtOutput(io.TextIOBase):
    """dagster-dbt echoes every dbt line to stdout: keep them all in a log file and pass on
    only the lines a person watching a refresh needs (failures, warnings, the final tally)."""

    ANSI = re.compile(r"\x1b\[[0-9;]*m")
    NODE_PROBLEM = re.compile(r"\b\d+ of \d+ (ERROR|FAIL|WARN)\b")
    SUMMARY = ("Done. PASS=", "Finished running", "Completed with", "Failure in",
               "Database Error", "Runtime Error", "Compilation Error")

    def __init__(self, path, forward):
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self._forward = forward

    def write(self, text: str) -> int:
        self._file.write(text)
        for line in self.ANSI.sub("", text).splitlines():
            line = line.strip()
            if line.startswith(self.SUMMARY) or self.NODE_PROBLEM.search(line):
                self._forward(line)
        return len(text)

    def close(self) -> None:
        self._file.close()
        super().close()


def with_row_counts(events: list, warehouse_path) -> list:
    """Add `dagster/row_count` to each table or incremental model's materialization."""
    manifest = json.loads(dbt_project.manifest_path.read_text())["nodes"]
    counted: dict[str, int] = {}
    if warehouse_path.exists():
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            for event in events:
                unique_id = _unique_id(event)
                node = manifest.get(unique_id or "", {})
                if node.get("config", {}).get("materialized") in ("table", "incremental"):
                    with contextlib.suppress(duckdb.Error):
                        counted[unique_id] = con.execute(
                            f"select count(*) from {node['relation_name']}"
                        ).fetchone()[0]
    return [
        event.with_metadata({**event.metadata, "dagster/row_count": counted[_unique_id(event)]})
        if _unique_id(event) in counted else event
        for event in events
    ]


def _unique_id(event) -> str | None:
    if not isinstance(event, dg.Output | dg.AssetMaterialization):
        return None
    value = event.metadata.get("unique_id")
    return getattr(value, "text", value)


def _failures(invocation) -> list[str]:
    """The failed nodes of a dbt invocation, from its run_results.json."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (FileNotFoundError, KeyError, TypeError):
        return []
    return [f"{r['unique_id']}: {r['status']}" for r in results
            if r.get("status") in ("error", "fail", "runtime error")][:20]
