"""Where the dbt project is, and its parsed manifest, prepared before the definitions load.

dagster-dbt builds the assets from `target/manifest.json` at import time, so the manifest
must exist first. `dagster dev` parses through `prepare_if_dev`; the `insights` command and
the test suite call `ensure_manifest()` (a parse only when a project file is newer).

dbt always runs from the environment this interpreter belongs to, never from PATH: the code
location then loads and runs the same way under `.venv/bin/dagster dev`, `uv run`, or a
systemd unit that never activated the virtual environment.
"""

from __future__ import annotations

import fcntl
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from dagster_shared.record import replace
from packaging import version

from pipelines.dagster_dbt_api import DbtCliResource, DbtProject, DbtProjectPreparer

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
_SOURCE_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")


def _dbt_executable() -> str:
    """This project's dbt entry point (`insights-dbt`, pipelines/dbt_process.py) installed with
    this interpreter's packages, else the plain `dbt` script beside it (PATH plays no part)."""
    folders = [Path(sys.executable).parent,  # <venv>/bin/python -> <venv>/bin/
               Path(sysconfig.get_path("scripts"))]  # the environment's scripts dir
    candidates = [folder / name for name in ("insights-dbt", "dbt") for folder in folders]
    found = next((c for c in candidates if c.is_file()), folders[0] / "dbt")
    return str(found)


DBT_EXECUTABLE = _dbt_executable()


class _ParseWithOurDbt(DbtProjectPreparer):
    """dagster-dbt's own preparer runs the `dbt` found on PATH; ours runs DBT_EXECUTABLE."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        if self.using_dagster_dev():
            self.prepare(project)

    def prepare(self, project: DbtProject) -> None:
        ensure_manifest(force=True)  # `dagster dev` reparses at each load, as dagster-dbt does


dbt_project = replace(DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR),
                      preparer=_ParseWithOurDbt())


def _newest_project_file() -> float:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in _SOURCE_FOLDERS:
        files.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest(*, force: bool = False) -> Path:
    manifest = dbt_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # The webserver's and the daemon's code servers may load at once: one parse at a time.
    with open(manifest.parent / ".parse.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not manifest.exists() or manifest.stat().st_mtime < _newest_project_file():
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
