"""The simulated world: entities, document versions and the queries the server answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.simulator.config import FaultConfig, WorldConfig
from pipelines.simulator.faults import INVALID_KINDS, invalid_kinds
from pipelines.simulator.feed import DocumentFeed, epoch_us
from pipelines.simulator.generate import BLOCK_CLIENTS, block_count, empty_versions, generate_block
from pipelines.simulator.listings import Listings
from pipelines.simulator.render import EPOCH, documents_json
from pipelines.simulator.spaces import build_spaces, to_us
from pipelines.simulator.team import build_assignments, build_users


def _from_us(moment_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=moment_us)


class World:
    """Deterministic for its WorldConfig. Documents are generated on first use."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.spaces, self.link_events = build_spaces(config)
        self.users = build_users(config)
        self.assignments, self.processors = build_assignments(
            config, self.spaces, self.users, self.link_events
        )
        self._listings = Listings(self.spaces, self.link_events, self.users, self.assignments)
        self._space_index = dict(zip(self.spaces["id"], self.spaces["space_idx"], strict=True))
        self._revoked = set(self.spaces.filter("revoked")["id"])
        self._feed: DocumentFeed | None = None
        self._lock = threading.Lock()

    # --- documents -------------------------------------------------------------------------
    def _blocks(
        self, first: int = 0, last: int | None = None
    ) -> Iterator[tuple[pl.DataFrame, np.ndarray]]:
        total = block_count(self.config)
        for block in range(first, total if last is None else min(last, total)):
            yield generate_block(self.config, block, self.spaces, self.processors, self.users["id"])

    def feed(self) -> DocumentFeed:
        with self._lock:
            if self._feed is None:
                frames, indexes = zip(*self._blocks(), strict=True)
                versions = pl.concat([empty_versions(), *frames], rechunk=True)
                self._feed = DocumentFeed(versions, np.concatenate(indexes), self._space_index)
            return self._feed

    @property
    def versions(self) -> pl.DataFrame:
        """Every version of every document: contract fields + version, visible_at, render offset."""
        return self.feed().versions

    def iter_version_chunks(
        self, clients_per_chunk: int = 8 * BLOCK_CLIENTS
    ) -> Iterator[pl.DataFrame]:
        """Versions in chunks of whole client blocks, generated on the fly (bounded memory)."""
        step = max(1, clients_per_chunk // BLOCK_CLIENTS)
        for first in range(0, block_count(self.config), step):
            frames = [frame for frame, _ in self._blocks(first, first + step) if len(frame)]
            if frames:
                yield pl.concat(frames, rechunk=True)

    def write_versions_parquet(
        self, directory: Path, clients_per_chunk: int = 8 * BLOCK_CLIENTS
    ) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for number, chunk in enumerate(self.iter_version_chunks(clients_per_chunk)):
            paths.append(directory / f"versions-{number:05d}.parquet")
            chunk.write_parquet(paths[-1])
        return paths

    def current_documents(self, now: datetime, space_id: str | None = None) -> pl.DataFrame:
        """Latest visible version (visible_at <= now) of each document, tombstones included."""
        if space_id is not None and space_id not in self._space_index:
            return empty_versions()
        return self.feed().current(to_us(now), space_id)

    def document_page(
        self,
        space_id: str,
        now: datetime,
        updated_gte: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
        faults: FaultConfig | None = None,
    ) -> tuple[list[dict], tuple[datetime, str] | None]:
        """One page of the feed as API records, and the cursor of its last row if more follow."""
        body, next_cursor = self.document_page_json(
            space_id, now, updated_gte, after, limit, faults
        )
        return json.loads(body), next_cursor

    def document_page_json(
        self,
        space_id: str,
        now: datetime,
        updated_gte: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
        faults: FaultConfig | None = None,
    ) -> tuple[bytes, tuple[datetime, str] | None]:
        """document_page serialised: the JSON array of records (what the server sends)."""
        cursor = None if after is None else (to_us(after[0]), after[1])
        gte = None if updated_gte is None else to_us(updated_gte)
        rows, next_cursor = self.feed().page(space_id, to_us(now), gte, cursor, limit)
        kinds = None
        if faults is not None and faults.invalid_records > 0:
            kinds = invalid_kinds(rows["document_id"], epoch_us(rows["updated_at"]), faults)
        body = documents_json(rows, kinds)
        return body, None if next_cursor is None else (_from_us(next_cursor[0]), next_cursor[1])

    def invalid_versions(self, faults: FaultConfig) -> pl.DataFrame:
        """(document_id, updated_at, invalid_kind) of every version served corrupted."""
        versions = self.versions
        kinds = invalid_kinds(versions["document_id"], epoch_us(versions["updated_at"]), faults)
        chosen = pl.Series(kinds >= 0)
        return (
            versions.select("document_id", "updated_at")
            .filter(chosen)
            .with_columns(
                invalid_kind=pl.Series(INVALID_KINDS, dtype=pl.Enum(INVALID_KINDS)).gather(
                    kinds[kinds >= 0]
                )
            )
        )

    # --- entities --------------------------------------------------------------------------
    def listing(self, kind: str, now: datetime) -> list[tuple[tuple, dict]]:
        """(keyset key, record) items of 'spaces', 'users' or 'assignments' at now."""
        return getattr(self._listings, kind)(to_us(now))

    def spaces_at(self, now: datetime) -> list[dict]:
        return [record for _, record in self.listing("spaces", now)]

    def users_at(self, now: datetime) -> list[dict]:
        return [record for _, record in self.listing("users", now)]

    def assignments_at(self, now: datetime) -> list[dict]:
        return [record for _, record in self.listing("assignments", now)]

    def link_status_at(self, space_id: str, now: datetime) -> str | None:
        if space_id not in self._space_index:
            return None
        return self._listings.link_status(self._space_index[space_id], to_us(now))[0]

    def has_space(self, space_id: str, now: datetime) -> bool:
        return self.link_status_at(space_id, now) is not None

    def space_accessible(self, space_id: str, now: datetime) -> bool:
        """Only ACTIVE links give document access; revoked spaces never do."""
        return self.link_status_at(space_id, now) == "ACTIVE" and space_id not in self._revoked

    @property
    def revoked_space_ids(self) -> set[str]:
        return set(self._revoked)


def build_world(config: WorldConfig | None = None) -> World:
    return World(config or WorldConfig())
