"""World.document_page: keyset paging by (updated_at, document_id), also across shared instants."""

from __future__ import annotations

import time
from datetime import timedelta

import polars as pl
import pytest

from pipelines.simulator import World
from tests.simulator.support import ANCHOR, parse_instant


def page_all(world: World, space_id: str, now, updated_gte, limit: int) -> list[dict]:
    records, cursor, pages = [], None, 0
    while True:
        page, cursor = world.document_page(space_id, now, updated_gte, cursor, limit)
        records += page
        pages += 1
        assert len(page) <= limit
        if cursor is None:
            return records
        assert len(page) == limit, "only the last page may be short"
        assert pages < 10_000


@pytest.fixture(scope="module")
def biggest_group(world: World) -> tuple[str, object, int]:
    """(space_id, updated_at, size) of the largest set of documents sharing one updated_at."""
    groups = world.current_documents(ANCHOR).group_by("space_id", "updated_at").len()
    space_id, updated_at, size = groups.sort("len", descending=True).row(0)
    return space_id, updated_at, size


def test_shared_updated_at_crosses_pages_without_loss(world: World, biggest_group) -> None:
    space_id, updated_at, size = biggest_group
    assert size > 1000
    records = page_all(world, space_id, ANCHOR, updated_at, limit=97)
    ids = [r["document_id"] for r in records]
    assert len(ids) == len(set(ids)), "a document came twice"
    truth = world.current_documents(ANCHOR, space_id).filter(pl.col("updated_at") >= updated_at)
    assert set(ids) == set(truth["document_id"])
    shared = [r for r in records if parse_instant(r["updated_at"]) == updated_at]
    assert len(shared) == size


def test_pages_are_ordered_by_updated_at_then_document_id(world: World, biggest_group) -> None:
    space_id, _, _ = biggest_group
    records = page_all(world, space_id, ANCHOR, None, limit=1000)
    keys = [(parse_instant(r["updated_at"]), r["document_id"]) for r in records]
    assert keys == sorted(keys)
    assert len(records) == world.current_documents(ANCHOR, space_id).height


def test_updated_gte_is_inclusive(world: World, biggest_group) -> None:
    space_id, updated_at, size = biggest_group
    page, _ = world.document_page(space_id, ANCHOR, updated_at, None, 1000)
    assert parse_instant(page[0]["updated_at"]) == updated_at
    just_after = updated_at + timedelta(microseconds=1)
    after, _ = world.document_page(space_id, ANCHOR, just_after, None, 5)
    assert parse_instant(after[0]["updated_at"]) > updated_at


def test_a_page_is_served_in_milliseconds(world: World, biggest_group) -> None:
    space_id, updated_at, _ = biggest_group
    world.document_page(space_id, ANCHOR, None, None, 100)  # builds the cached state
    started = time.perf_counter()
    for _ in range(20):
        world.document_page(space_id, ANCHOR, updated_at, None, 1000)
    assert (time.perf_counter() - started) / 20 < 0.1


def test_late_commit_is_invisible_until_its_visible_at(world: World) -> None:
    late = world.versions.filter(
        (pl.col("visible_at") > pl.col("updated_at")) & (pl.col("updated_at") < ANCHOR)
    ).row(0, named=True)
    before = late["visible_at"] - timedelta(microseconds=1)
    current = world.current_documents(before, late["space_id"])
    row = current.filter(pl.col("document_id") == late["document_id"])
    assert row.is_empty() or row["updated_at"][0] < late["updated_at"]
    current = world.current_documents(late["visible_at"], late["space_id"])
    row = current.filter(pl.col("document_id") == late["document_id"])
    assert row["updated_at"][0] == late["updated_at"]
