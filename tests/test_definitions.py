"""The Dagster definitions load anywhere: no credentials, no settings, no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[1]


def _clean_environment(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INSIGHTS_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(tmp_path)
    return env


def test_workspace_loads_with_no_credentials(tmp_path):
    """`dagster dev` loads workspace.yaml; validate the same file with no INSIGHTS_* set."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-w", str(ROOT / "workspace.yaml")],
        cwd=tmp_path, env=_clean_environment(tmp_path), capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "client_insights" in result.stdout + result.stderr


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
