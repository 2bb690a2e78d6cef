"""`insights docs`: the dbt documentation site (models, columns, tests, lineage, exposures)
as one self-contained HTML file, generated from the built warehouse so column types show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipelines.as_of import DBT_AS_OF_ENV, rfc3339
from pipelines.assets.warehouse import dbt_vars
from pipelines.dbt_manifest import DBT_EXECUTABLE, DBT_PROJECT_DIR
from pipelines.read_model.queries import data_as_of_in
from pipelines.settings import Settings


class DocsError(RuntimeError):
    pass


def generate_docs(settings: Settings, output_dir: Path) -> Path:
    if not settings.warehouse_path.exists():
        raise DocsError(f"no warehouse at {settings.warehouse_path}: run `insights demo` or "
                        "`insights refresh` first, so the documentation can show column types")
    # The docs describe the warehouse as built: its compiled SQL shows the as-of of that build.
    as_of = data_as_of_in(settings.warehouse_path)
    if as_of is None:
        raise DocsError(f"the warehouse at {settings.warehouse_path} has no as-of yet: run "
                        "`insights refresh` first")
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="insights-docs-") as target, \
            settings.writing():  # dbt opens the warehouse file for writing
        done = subprocess.run(
            [DBT_EXECUTABLE, "--quiet", "docs", "generate", "--static",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", target, "--vars", json.dumps(dbt_vars(settings))],
            capture_output=True, text=True, env={**os.environ, DBT_AS_OF_ENV: rfc3339(as_of)},
        )
        if done.returncode != 0:
            raise DocsError(f"dbt docs generate failed:\n{done.stdout}{done.stderr}".strip())
        page = output_dir / "index.html"
        shutil.copyfile(Path(target) / "static_index.html", page)
    return page
