"""The documents feed: current visible state per space, cached, with keyset paging."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import polars as pl

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def epoch_us(series: pl.Series) -> np.ndarray:
    return series.dt.epoch("us").to_numpy()


@dataclass(frozen=True)
class SpaceState:
    """Current documents of one space sorted by (updated_at, document_id).

    The state only changes when `now` crosses a visible_at of the space, so it stays valid
    for every now in [valid_from, valid_until).
    """

    frame: pl.DataFrame
    updated_us: np.ndarray
    document_ids: np.ndarray
    valid_from: int
    valid_until: int


class DocumentFeed:
    def __init__(
        self, versions: pl.DataFrame, space_index: np.ndarray, space_ids: dict[str, int]
    ) -> None:
        self.versions = versions
        self._visible = epoch_us(versions["visible_at"])
        same_next = versions["document_id"].slice(1) == versions["document_id"].slice(
            0, len(versions) - 1
        )
        same_next = np.r_[same_next.to_numpy(), False] if len(versions) else np.zeros(0, bool)
        # A version is current from its visible_at until the next version becomes visible.
        self._next_visible = np.where(same_next, np.r_[self._visible[1:], 0], INT64_MAX)
        self._space_ids = space_ids
        self._space_index = space_index
        self._states: dict[str, SpaceState] = {}
        self._lock = threading.Lock()

    def _rows(self, space_id: str) -> tuple[int, int]:
        index = self._space_ids[space_id]
        return (
            int(np.searchsorted(self._space_index, index, "left")),
            int(np.searchsorted(self._space_index, index, "right")),
        )

    def current(self, now_us: int, space_id: str | None = None) -> pl.DataFrame:
        """Latest visible version of each document (tombstones included)."""
        start, end = (0, len(self.versions)) if space_id is None else self._rows(space_id)
        mask = (self._visible[start:end] <= now_us) & (self._next_visible[start:end] > now_us)
        return self.versions.slice(start, end - start).filter(pl.Series(mask))

    def state(self, space_id: str, now_us: int) -> SpaceState:
        with self._lock:
            cached = self._states.get(space_id)
            if cached is not None and cached.valid_from <= now_us < cached.valid_until:
                return cached
            start, end = self._rows(space_id)
            visible = self._visible[start:end]
            seen = visible <= now_us
            frame = self.current(now_us, space_id).sort("updated_at", "document_id")
            state = SpaceState(
                frame=frame,
                updated_us=epoch_us(frame["updated_at"]),
                document_ids=frame["document_id"].to_numpy().astype("U36"),
                valid_from=int(visible[seen].max()) if seen.any() else INT64_MIN,
                valid_until=int(visible[~seen].min()) if (~seen).any() else INT64_MAX,
            )
            self._states[space_id] = state
            return state

    def page(
        self,
        space_id: str,
        now_us: int,
        updated_gte_us: int | None,
        after: tuple[int, str] | None,
        limit: int,
    ) -> tuple[pl.DataFrame, tuple[int, str] | None]:
        """Rows with updated_at >= updated_gte after the (updated_at, document_id) cursor."""
        state = self.state(space_id, now_us)
        updated, ids = state.updated_us, state.document_ids
        start = (
            0 if updated_gte_us is None else int(np.searchsorted(updated, updated_gte_us, "left"))
        )
        if after is not None:
            after_us, after_id = after
            low = int(np.searchsorted(updated, after_us, "left"))
            high = int(np.searchsorted(updated, after_us, "right"))
            start = max(start, low + int(np.searchsorted(ids[low:high], after_id, "right")))
        end = min(start + limit, len(updated))
        rows = state.frame.slice(start, max(end - start, 0))
        cursor = (
            (int(updated[end - 1]), str(ids[end - 1]))
            if end < len(updated) and end > start
            else None
        )
        return rows, cursor
