"""The event table behind document versions: codes, sentinels and ordering rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

NO_CHANGE = -1  # the event leaves this field as it was
SET_NULL = -2  # the event sets this field to null
TIME_NO_CHANGE = np.iinfo(np.int64).min
TIME_NULL = TIME_NO_CHANGE + 1
Codes = int | np.ndarray  # one code for all documents, or one per document


class Step(IntEnum):
    """What happened; also the tie-break order of events at the same instant."""

    ARRIVAL = 0
    APPROVAL = 1
    PICKUP = 2
    RESEND = 3
    RESEND_PICKUP = 4
    PROCESS = 5
    REOPEN = 6
    REPROCESS = 7
    PAYMENT = 8
    EDIT = 9
    TOMBSTONE = 10


@dataclass(frozen=True)
class SpaceFacts:
    """Per local space of a block: what the lifecycle needs to know."""

    frequency: np.ndarray
    filing_day: np.ndarray
    has_integration: np.ndarray
    import_at: np.ndarray  # -1 when the space had no history import
    horizon: np.ndarray  # no event after this instant (clock horizon or end of the link)
    primary_before: np.ndarray
    primary_after: np.ndarray
    switch_at: np.ndarray
    secondary: np.ndarray  # -1 when none
    bulk_times: np.ndarray  # sorted bulk-action instants of all spaces ...
    bulk_space: np.ndarray  # ... and the local space of each


@dataclass(frozen=True)
class Events:
    """One row per version, sorted by (document, time); fields hold codes or sentinels."""

    document: np.ndarray
    time: np.ndarray
    step: np.ndarray
    status: np.ndarray
    business: np.ndarray
    processor: np.ndarray


class EventLog:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        mask: np.ndarray,
        document: np.ndarray,
        time: np.ndarray,
        step: int,
        status: Codes = NO_CHANGE,
        business: Codes = NO_CHANGE,
        processor: Codes = NO_CHANGE,
    ) -> None:
        """Adds one event for each document where mask is set (values are per document)."""
        count = int(mask.sum())
        fields = [
            np.broadcast_to(np.asarray(x), mask.shape)[mask]
            for x in (document, time, step, status, business, processor)
        ]
        self.parts.append(tuple(fields) if count else tuple(f[:0] for f in fields))

    def columns(self) -> list[np.ndarray]:
        dtypes = (np.int64, np.int64, np.int8, np.int8, np.int8, np.int16)
        return [np.concatenate([p[i] for p in self.parts]).astype(d) for i, d in enumerate(dtypes)]


def snap_to_bulk(
    t: np.ndarray, space_local: np.ndarray, chosen: np.ndarray, facts: SpaceFacts
) -> np.ndarray:
    """Moves chosen actions to the space's next bulk action, so many share one instant."""
    keys = facts.bulk_space.astype(np.int64) * (1 << 53) + facts.bulk_times
    position = np.searchsorted(keys, space_local.astype(np.int64) * (1 << 53) + t)
    position = np.minimum(position, max(len(keys) - 1, 0))
    if not len(keys):
        return t
    same_space = facts.bulk_space[position] == space_local
    later = facts.bulk_times[position] >= t
    return np.where(chosen & same_space & later, facts.bulk_times[position], t)


def ordered_events(log: EventLog, horizon: np.ndarray, deleted_at: np.ndarray) -> Events:
    """Drops events past the horizon or the deletion, sorts, and makes times strictly increase."""
    document, time, step, status, business, processor = log.columns()
    keep = (time <= horizon[document]) & (
        (time < deleted_at[document]) | ((step == Step.TOMBSTONE) & (time == deleted_at[document]))
    )
    document, time, step, status, business, processor = (
        a[keep] for a in (document, time, step, status, business, processor)
    )
    order = np.lexsort((step, time, document))
    document, time, step, status, business, processor = (
        a[order] for a in (document, time, step, status, business, processor)
    )
    same_document = np.r_[False, document[1:] == document[:-1]]
    while True:  # exact ties are rare (bulk instants); nudge them by a microsecond
        tie = same_document & np.r_[False, time[1:] <= time[:-1]]
        if not tie.any():
            break
        time = np.where(tie, np.r_[0, time[:-1]] + 1, time)
    return Events(document, time, step, status, business, processor)
