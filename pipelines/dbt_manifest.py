"""Where the dbt project is, and its parsed manifest, prepared before the definitions load.

dagster-dbt builds the assets from `target/manifest.json` at import time, so the manifest
must exist first. `dagster dev` parses through `prepare_if_dev`; the `insights` command and
the test suite call `ensure_manifest()` (a parse only when a project file is newer).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# The dbt next to this interpreter: the venv need not be activated (PATH may lack it).
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
_SOURCE_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_project_file() -> float:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in _SOURCE_FOLDERS:
        files.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest() -> Path:
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_project_file():
        dbt_cli().cli(["--quiet", "parse"], target_path=dbt_project.target_path).wait()
    return manifest


class _DbtCli(DbtCliResource):
    """dagster-dbt also loads the dbt project and adapter in this process before every
    invocation (seconds of imports and parsing), for its opt-in row-count and column-metadata
    queries; nothing here uses them (the warehouse asset counts rows itself), so skip it."""

    def _initialize_dbt_core_adapter(self, args):
        return None

    @property
    def _cli_version(self) -> version.Version:
        # dagster-dbt runs `dbt --version` (a whole dbt start-up) to learn this; the dbt next
        # to this interpreter is the installed dbt-core package.
        return version.parse(metadata.version("dbt-core"))


def dbt_cli() -> DbtCliResource:
    return _DbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
