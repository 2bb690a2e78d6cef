"""The Dagster definitions load anywhere: no credentials, no settings, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.daemon.support import VENV_BIN, environment_without_venv

ROOT = Path(__file__).resolve().parents[1]


def test_workspace_loads_as_dagster_dev_does_without_credentials_or_the_venv_on_path(tmp_path):
    """`.venv/bin/dagster dev` loads workspace.yaml with DAGSTER_IS_DEV_CLI set, which makes the
    code location parse the dbt project; nothing is on PATH but the system (no activated venv),
    and no INSIGHTS_* is set: dbt must come from the interpreter's own environment."""
    env = environment_without_venv(DAGSTER_HOME=str(tmp_path), DAGSTER_IS_DEV_CLI="1")
    assert str(VENV_BIN) not in env["PATH"].split(os.pathsep)
    result = subprocess.run(
        [str(VENV_BIN / "dagster"), "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "client_insights" in output
    assert f"{VENV_BIN / 'insights-dbt'} --quiet parse" in output  # the parse ran, with our dbt


def test_definitions_hold_every_landing_asset_and_the_refresh_job():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"landing/spaces", "landing/users", "landing/assignments",
            "landing/documents"} <= keys
    assert defs.resolve_job_def("refresh") is not None
    checks = {key.name for key in graph.asset_check_keys}
    assert {"every_space_read", "fetched_equals_landed_plus_quarantined"} <= checks


def test_importing_the_definitions_reads_no_settings():
    from pipelines.definitions import defs

    settings = defs.resources["settings"]
    assert isinstance(settings, dg.ResourceDefinition) or settings._settings is None


_GRAPH_OF_THE_DBT_ASSETS = """
import json, sys
if sys.argv[1] == "with-dbt-core":
    import dbt.version  # loaded first: dagster-dbt then takes its dbt-core path
from pipelines.assets.warehouse import warehouse_models as assets
import dagster_dbt.compat
print(json.dumps({
    "dbt_core_in_dagster_dbt": dagster_dbt.compat.DBT_PYTHON_VERSION is not None,
    "specs": sorted(repr((s.key.to_user_string(), s.group_name, sorted(s.tags.items()),
                          s.description, sorted(d.asset_key.to_user_string() for d in s.deps)))
                    for s in assets.specs),
    "checks": sorted(repr((c.key.to_user_string(), c.blocking, c.description))
                     for c in assets.check_specs),
}))
"""


def test_the_dbt_assets_are_the_same_without_dbt_core_in_the_process():
    """pipelines/dagster_dbt_api.py keeps dbt-core out of this process; dagster-dbt must build
    exactly the graph it builds with dbt-core's selector."""
    graphs = {}
    for way in ("with-dbt-core", "without"):
        done = subprocess.run([sys.executable, "-c", _GRAPH_OF_THE_DBT_ASSETS, way],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        graphs[way] = json.loads(done.stdout.strip().splitlines()[-1])
    assert graphs["with-dbt-core"].pop("dbt_core_in_dagster_dbt") is True
    assert graphs["without"].pop("dbt_core_in_dagster_dbt") is False
    assert len(graphs["without"]["specs"]) > 20 and len(graphs["without"]["checks"]) > 100
    assert graphs["without"] == graphs["with-dbt-core"]


def test_the_pipeline_imports_without_dbt_core_yet_dbt_stays_importable():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, pipelines.refresh\n"
         "print('dbt.contracts.results' in sys.modules)\n"
         "import dbt.version\nprint(bool(dbt.version.__version__))"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "True"]
