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
