"""`insights` runs record in DAGSTER_HOME's instance when it is set, else under INSIGHTS_HOME.

The daemon test (tests/daemon) checks the same against PostgreSQL storage, next to scheduled runs.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.run_instance import open_instance
from pipelines.settings import load_settings


def _root(config) -> Path:
    instance = open_instance(config)
    try:
        return Path(instance.root_directory)
    finally:
        instance.dispose()


def test_runs_record_in_dagster_home_when_it_is_set(tmp_path):
    dagster_home = tmp_path / "dagster-home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    home = tmp_path / "home"
    assert _root(load_settings({"INSIGHTS_HOME": str(home),
                                "DAGSTER_HOME": str(dagster_home)})) == dagster_home
    assert not (home / "dagster").exists()
    assert _root(load_settings({"INSIGHTS_HOME": str(home)})) == home / "dagster"
