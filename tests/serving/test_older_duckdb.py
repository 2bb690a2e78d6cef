"""The serving file opens in the DuckDB that BI tools bundle (1.5, Metabase's DuckDB driver) and
answers every SQL block of docs/metabase.md as the project's own engine does.

The older engine is a real DuckDB 1.5 from the package registry, in a virtual environment of
its own (scripts/older_duckdb.py), run in its own process. Both engines answer through the same
client script, so the answers are compared as the same text.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from pipelines.serving.duckdb_file import publish_duckdb
from tests.serving.test_duckdb_live_readers import OLDER_CLIENT, OlderClient, older_python
from tests.serving.test_metabase_guide import guide_queries, render


@pytest.fixture(scope="module")
def older():
    return older_python()


def _answers(python, serving_path, queries: dict[str, str]) -> dict[str, dict]:
    client = OlderClient(python, serving_path)
    try:
        return {"version": client.version,
                **{title: client.query(sql) for title, sql in queries.items()}}
    finally:
        client.close()


def _rendered(published_firm) -> dict[str, str]:
    with duckdb.connect(str(published_firm.serving_path), read_only=True) as con:
        client = con.execute("select client_id from marts.mart_client_overview "
                             "where documents_total > 0 order by priority_rank limit 1"
                             ).fetchone()[0]
    values = {"client_id": f"'{client}'", "date_from": "date '2025-12-01'",
              "date_to": "date '2026-05-06'"}
    return {title: render(sql, values) for title, sql in guide_queries().items()}


def test_duckdb_1_5_answers_every_query_of_the_guide_as_the_current_engine(published_firm, older):
    queries = _rendered(published_firm)
    old = _answers(older, published_firm.serving_path, queries)
    new = _answers(sys.executable, published_firm.serving_path, queries)
    assert old.pop("version").startswith("1.5.")
    assert new.pop("version") == duckdb.__version__
    for title in queries:
        assert "rows" in old[title], (title, old[title])
        assert old[title]["rows"], f"{title}: no rows"
        assert old[title] == new[title], title
    assert len(queries) >= 7


def test_duckdb_1_5_cannot_open_the_newest_storage_format(published_firm, older, tmp_path):
    """The control: published with storage 'latest', the older engine refuses the file."""
    serving = tmp_path / "serving" / "insights.duckdb"
    publish_duckdb(published_firm.home / "warehouse" / "warehouse.duckdb", serving,
                   storage_version="latest")
    run = subprocess.run([str(older), str(OLDER_CLIENT), str(serving)],
                         input=json.dumps("select 1"), capture_output=True, text=True)
    assert run.returncode != 0
    assert "version number" in run.stderr and "can only read" in run.stderr, run.stderr[-500:]
