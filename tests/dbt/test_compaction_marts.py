"""The marts are identical before and after compaction, built in full or incrementally.

The shared history's landing zone is copied, its last extraction held back, the rest compacted
and built in full; then the held batches land (as plain files next to the compacted ones) and an
incremental build merges them; then everything is compacted again and built incrementally once
more (a compacted batch must not be merged twice); finally the compacted zone is built in full.
Every mart and the incremental version log must equal the full build of the uncompacted zone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.landing.compaction import compact
from pipelines.landing.zone import LandingZone, data_files, file_batch_id, is_compacted
from tests.dbt.support import (
    INCREMENTAL_MODELS,
    MARTS,
    Warehouse,
    failures,
    table_differences,
)

# several real refreshes or dbt builds in one module: `make test-heavy` and CI run it
pytestmark = pytest.mark.heavy

RELATIONS = [f"marts.{m}" for m in MARTS] + [f"main.{m}" for m in INCREMENTAL_MODELS]


@dataclass
class Compacted:
    incremental: Warehouse  # full build, held batches merged, compacted again, merged again
    full: Warehouse  # full build of the compacted zone
    files: tuple[int, int]  # landing files before and after compaction


def _hold_back_the_last_extraction(landing: Path, held: Path) -> int:
    zone = LandingZone(landing)
    last = {zone.batch_records(e)["batch_id"].max()
            for e in ("spaces", "users", "assignments", "documents")}
    moved = 0
    for folder in zone.compaction_folders():
        for path in data_files(folder):
            if file_batch_id(path) in last:
                target = held / path.relative_to(landing)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                moved += 1
    return moved


def _return(held: Path, landing: Path) -> None:
    for path in sorted(held.rglob("*.parquet")):
        target = landing / path.relative_to(held)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)


def _build(warehouse: Warehouse, landing: Path, as_of, *args: str) -> None:
    result = warehouse.dbt("build", *args, landing_dir=landing, as_of=as_of)
    assert result.success, failures(result)


@pytest.fixture(scope="module")
def compacted(history, tmp_path_factory) -> Compacted:
    root = tmp_path_factory.mktemp("dbt_compaction")
    landing, held = root / "landing", root / "held"
    shutil.copytree(history.landing, landing)
    zone = LandingZone(landing)
    files_before = sum(len(data_files(f)) for f in zone.compaction_folders())
    assert _hold_back_the_last_extraction(landing, held) > 4
    with zone.writing():
        compact(zone)
    incremental = Warehouse(root / "incremental.duckdb", root / "incremental-dbt")
    _build(incremental, landing, history.as_of, "--full-refresh")
    _return(held, landing)
    _build(incremental, landing, history.as_of)
    with zone.writing():
        compact(zone)
    assert all(is_compacted(p) for f in zone.compaction_folders() for p in data_files(f)
               if len(data_files(f)) > 1)
    _build(incremental, landing, history.as_of)
    full = Warehouse(root / "full.duckdb", root / "full-dbt")
    _build(full, landing, history.as_of, "--full-refresh")
    files_after = sum(len(data_files(f)) for f in zone.compaction_folders())
    return Compacted(incremental, full, (files_before, files_after))


def test_compaction_reduced_the_files(compacted):
    before, after = compacted.files
    assert after < before / 2, compacted.files


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("build", ["incremental", "full"])
def test_marts_after_compaction_equal_the_full_build_before(compacted, full_refresh, relation,
                                                            build):
    warehouse = getattr(compacted, build)
    rows, only_compacted, only_original = table_differences(warehouse.path, full_refresh.path,
                                                            relation)
    assert rows > 0
    assert (only_compacted, only_original) == (0, 0), (
        f"{relation} ({build} build on the compacted zone): {only_compacted} rows only there, "
        f"{only_original} only in the full build of the uncompacted zone"
    )
