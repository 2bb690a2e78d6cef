"""An older DuckDB engine, as BI tools bundle it, in a virtual environment of its own.

The serving file must open in the DuckDB that Metabase's DuckDB driver (and DBeaver, Evidence,
notebooks) bundle, which lags the project's engine. This creates `.tools/duckdb-<version>/`
with that DuckDB from the package registry (once; later calls reuse it) and prints the path of
its Python:

    python scripts/older_duckdb.py            # DuckDB 1.5.6, the series of the Metabase driver
    python scripts/older_duckdb.py 1.4.4
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLDER_DUCKDB = "1.5.6"
# DuckDB's Python client needs pytz to hand out TIMESTAMPTZ values (the JDBC driver does not)
PYTZ = "pytz==2026.1"


def _uv() -> str | None:
    local = ROOT / ".tools" / "bin" / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def older_duckdb_python(version: str = OLDER_DUCKDB) -> Path:
    """The Python of a virtual environment holding exactly `duckdb==version`."""
    venv = ROOT / ".tools" / f"duckdb-{version}"
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run(
            [str(python), "-c", f"import pytz, duckdb; assert duckdb.__version__ == {version!r}"],
            capture_output=True).returncode == 0:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    uv = _uv()
    if uv:
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python),
                        f"duckdb=={version}", PYTZ], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", f"duckdb=={version}", PYTZ], check=True)
    return python


if __name__ == "__main__":
    print(older_duckdb_python(*sys.argv[1:2]))
