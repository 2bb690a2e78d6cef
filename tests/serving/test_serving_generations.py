"""The serving file's generations (pipelines/serving/duckdb_file.py): a statement opens only the
generation it reads, a publish that fails before its switch publishes nothing, and only the
last few generations are kept."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.serving.duckdb_file import (
    KEPT_GENERATIONS,
    generations_dir,
    publish_duckdb,
    read_switch,
    retired_generation,
)
from tests.failures.conftest import marts


@pytest.fixture
def published(served_firm, tmp_path):
    warehouse = served_firm.home / "warehouse" / "warehouse.duckdb"
    serving = tmp_path / "serving" / "insights.duckdb"
    for _ in range(KEPT_GENERATIONS + 2):
        publish_duckdb(warehouse, serving)
    return warehouse, serving


def test_only_the_last_generations_are_kept(published):
    _, serving = published
    kept = sorted(p.name for p in generations_dir(serving).glob("generation=*"))
    assert len(kept) == KEPT_GENERATIONS
    assert kept == sorted(f"generation={g}" for g in read_switch(serving)["ring"])
    assert kept[0] == f"generation={read_switch(serving)['current']}", "newest sorts first"


def test_a_statement_opens_only_the_generation_it_reads(published, served_firm):
    """So removing an older generation can never break a reader: garbage in every file of the
    other generations, and every mart still reads whole."""
    _, serving = published
    current = read_switch(serving)["current"]
    for path in generations_dir(serving).glob("generation=*/*.parquet"):
        if path.parent.name != f"generation={current}":
            path.write_bytes(b"not parquet")
    assert marts(serving) == marts(served_firm.serving_path)


def test_a_publish_that_fails_before_its_switch_publishes_nothing(published):
    warehouse, serving = published
    switch = read_switch(serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        before = con.execute("select count(*) from marts.fct_documents").fetchone()
    with pytest.raises(RuntimeError, match="INSIGHTS_SERVING_DUCKDB_STORAGE=v0.0.1"):
        publish_duckdb(warehouse, serving, storage_version="v0.0.1")
    assert read_switch(serving) == switch
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_documents").fetchone() == before


def test_a_statement_on_a_removed_generation_is_recognised_and_nothing_else(published, tmp_path):
    """The page runs such a statement once more (web/db.py); the errors are DuckDB's own: a
    generation's file that is gone, and any other missing file."""
    _, serving = published
    gone_file = generations_dir(serving) / "generation=0-retired" / "fct_documents__0.parquet"
    with duckdb.connect() as con, pytest.raises(duckdb.IOException) as gone:
        con.execute(f"select * from read_parquet('{gone_file}')").fetchall()
    assert retired_generation(gone.value), str(gone.value)
    with duckdb.connect() as con, pytest.raises(duckdb.IOException) as other:
        con.execute(f"select * from read_parquet('{tmp_path}/missing.parquet')").fetchall()
    assert not retired_generation(other.value)
