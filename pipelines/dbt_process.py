"""`insights-dbt`: dbt's own command line, run the way the refresh's other process runs.

The same arguments, output and exit code as the `dbt` script; only the garbage collection of
a short-lived process differs (pipelines/short_lived.py: about 1 s less per `dbt build` of a
small firm, measured). The refresh runs it through dagster-dbt (pipelines/dbt_manifest.py).
"""

from __future__ import annotations

from pipelines.short_lived import collect_less_often, skip_the_final_collection


def main() -> None:
    collect_less_often()
    from dbt.cli.main import cli

    try:
        cli()  # click exits with dbt's code through SystemExit
    finally:
        skip_the_final_collection()


if __name__ == "__main__":
    main()
