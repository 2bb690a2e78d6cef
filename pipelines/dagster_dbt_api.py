"""dagster-dbt's API, imported without loading dbt-core into this process.

dagster-dbt imports dbt-core's adapter and result modules whenever it can (1.6 s of every
`insights` start-up and code-server load, measured) to use their types, and evaluates dbt
selections with dbt-core's selector. This project runs dbt in a subprocess (`insights-dbt`)
and gives dagster-dbt the default selection, which its path without dbt-core in the process
(the one it takes beside dbt Fusion) reads straight from the manifest. The asset graph is the
same either way: tests/test_definitions.py builds it both ways and compares. Where dbt-core is
already loaded in the process (a test, a Spark session), nothing is hidden.
"""

from __future__ import annotations

import sys

_VERSION_MODULE = "dbt.version"  # dagster_dbt.compat's probe for dbt-core


def _import_without_dbt_core() -> None:
    if "dagster_dbt" in sys.modules or _VERSION_MODULE in sys.modules:
        return
    sys.modules[_VERSION_MODULE] = None  # an ImportError for dagster-dbt's probe only
    try:
        import dagster_dbt  # noqa: F401
    finally:
        if sys.modules.get(_VERSION_MODULE, 0) is None:
            del sys.modules[_VERSION_MODULE]  # dbt stays importable for whoever needs it


_import_without_dbt_core()

from dagster_dbt import (  # noqa: E402
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    DbtProjectPreparer,
    dbt_assets,
)

__all__ = ["DagsterDbtTranslator", "DagsterDbtTranslatorSettings", "DbtCliResource",
           "DbtProject", "DbtProjectPreparer", "dbt_assets"]
