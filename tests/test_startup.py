"""Start-up cost: the command line does not load what a command does not use, and Great
Expectations loads without pyspark, analytics or warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INSIGHTS = str(Path(sys.executable).parent / "insights")
HEAVY = ("dagster", "dagster_dbt", "dbt", "great_expectations", "pyspark", "httpx", "duckdb",
         "pandas")


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_command_line_module_imports_nothing_heavy():
    done = _run_python(
        "import sys, pipelines.cli\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_help_answers_without_loading_the_pipeline():
    done = subprocess.run([INSIGHTS, "--help"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0
    assert "refresh" in done.stdout and done.stderr == ""


def test_great_expectations_loads_without_pyspark_or_warnings():
    done = _run_python(
        "import sys, warnings\n"
        "warnings.simplefilter('always')\n"
        "from pipelines.checks.gx_suites import _batch_definition\n"
        "_batch_definition()\n"
        "import os\n"
        "print('pyspark' in sys.modules, os.environ.get('GX_ANALYTICS_ENABLED'))\n"
        "import pyspark\n"  # still importable for whoever needs it afterwards
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False false"
    assert "Warning" not in done.stderr, done.stderr


def test_the_web_page_loads_without_the_pipeline():
    done = _run_python(
        "import sys, pipelines.cli, pipelines.web.app\n"
        "print(sorted(m for m in ('dagster', 'dbt', 'great_expectations', 'pyspark') "
        "if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_great_expectations_loads_without_scipy_stats_which_still_loads_when_used():
    done = _run_python(
        "import sys\n"
        "from pipelines.checks.gx_suites import _batch_definition, validate_frame\n"
        "import polars as pl\n"
        "_batch_definition()\n"
        "print(type(sys.modules['scipy.stats']).__name__)\n"
        "from scipy import stats\n"
        "print(round(float(stats.entropy([0.5, 0.5], [0.9, 0.1])), 4))\n"
        "print(type(sys.modules['scipy.stats']).__name__)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_LazyModule", "0.5108", "module"]
