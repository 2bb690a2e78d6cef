"""Generator scale: a million documents stream out in chunks well inside a minute."""

from __future__ import annotations

import time

import pytest

from pipelines.simulator import WorldConfig, build_world
from tests.simulator.support import ANCHOR


@pytest.mark.scale
def test_one_million_documents_generate_in_well_under_a_minute() -> None:
    started = time.perf_counter()
    world = build_world(WorldConfig(clients=1600, anchor=ANCHOR))
    documents = versions = 0
    largest_chunk = 0
    for chunk in world.iter_version_chunks(clients_per_chunk=256):
        documents += chunk["document_id"].n_unique()
        versions += chunk.height
        largest_chunk = max(largest_chunk, chunk.height)
    elapsed = time.perf_counter() - started
    print(f"{documents:,} documents, {versions:,} versions in {elapsed:.1f}s")
    assert documents >= 1_000_000
    assert largest_chunk < versions / 3, "chunks keep memory bounded"
    assert elapsed < 45
