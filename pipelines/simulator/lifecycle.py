"""Accounting-status histories: the events (future versions) of every document of a block."""

from __future__ import annotations

import numpy as np

from pipelines.simulator import vocab as v
from pipelines.simulator.deadlines import NO_DEADLINE, filing_deadline_day
from pipelines.simulator.documents import DocumentBlock
from pipelines.simulator.events import (
    NO_CHANGE,
    SET_NULL,
    EventLog,
    Events,
    SpaceFacts,
    Step,
    ordered_events,
    snap_to_bulk,
)
from pipelines.simulator.randomness import (
    DAY_US,
    HOUR_US,
    SECOND_US,
    lognormal_us,
    sometimes_whole_seconds,
    uniform_us,
    working_time_after,
)


def build_events(
    rng: np.random.Generator, docs: DocumentBlock, facts: SpaceFacts, bulk_share: float
) -> Events:
    n = len(docs.received_us)
    doc = np.arange(n)
    space = docs.space_local
    t0, category = docs.received_us, docs.category
    is_other = category == v.OTHER
    import_at = facts.import_at[space]
    imported = (import_at >= 0) & (t0 < import_at)
    flow = ~is_other & ~imported
    chance = lambda p: rng.random(n) < p  # noqa: E731
    log = EventLog()

    direct_share = np.select(
        [category == v.MOVEMENT_REPORT, docs.channel == v.PEPPOL, category == v.SALES],
        [0.7, 0.6, 0.5],
        default=0.1,
    )
    direct = chance(direct_share)
    purchase = category == v.PURCHASE
    first_business = np.select(
        [purchase & ~direct, purchase | (category == v.SALES), category == v.RECEIPT],
        [v.AWAITING_VALIDATION, v.UNPAID, v.FULLY_PAID],
        default=SET_NULL,
    )
    first_business = np.where(
        imported & (purchase | (category == v.SALES)), v.FULLY_PAID, first_business
    )
    first_status = np.select(
        [is_other, imported, direct],
        [SET_NULL, v.PROCESSED, v.READY_TO_PROCESS],
        default=v.CLIENT_ACTION_NEEDED,
    )
    # Documents imported with a migrated history arrive processed, all at one instant.
    arrival = np.where(imported, import_at, t0)
    log.add(
        np.ones(n, bool),
        doc,
        arrival,
        Step.ARRIVAL,
        first_status,
        first_business,
        np.where(imported & ~is_other, facts.primary_before[space], SET_NULL),
    )

    # Payments change only the business status: a version without a status change.
    paid = (
        ~imported
        & (purchase | (category == v.SALES))
        & (docs.document_type == v.INVOICE)
        & chance(0.65)
    )
    paid_at = sometimes_whole_seconds(rng, t0 + lognormal_us(rng, n, 25 * 86400, 0.5))
    log.add(paid, doc, paid_at, Step.PAYMENT, business=v.FULLY_PAID)

    # The client approves after hours to days; a few never do.
    needs_approval = flow & ~direct
    approved = working_time_after(rng, t0 + lognormal_us(rng, n, 18 * 3600, 1.2))
    approved += np.where(chance(0.03), uniform_us(rng, n, 30 * DAY_US, 200 * DAY_US), 0)
    approved = snap_to_bulk(
        sometimes_whole_seconds(rng, approved), space, chance(bulk_share), facts
    )
    queued = needs_approval & facts.has_integration[space]
    log.add(
        needs_approval,
        doc,
        approved,
        Step.APPROVAL,
        np.where(queued, v.QUEUED, v.READY_TO_PROCESS),
        # Approval marks a purchase invoice UNPAID, unless it was paid already.
        np.where(purchase & ~(paid & (paid_at < approved)), v.UNPAID, NO_CHANGE),
    )

    # The integration picks a queued document up within minutes; some sends fail.
    picked = sometimes_whole_seconds(rng, approved + lognormal_us(rng, n, 15 * 60, 1.0))
    failed = queued & chance(0.07)
    log.add(queued, doc, picked, Step.PICKUP, np.where(failed, v.ERROR, v.READY_TO_PROCESS))
    resent = failed & chance(0.7)
    resend_at = sometimes_whole_seconds(
        rng, working_time_after(rng, picked + lognormal_us(rng, n, 5 * 3600, 1.0))
    )
    repicked = resend_at + lognormal_us(rng, n, 10 * 60, 1.0)
    log.add(resent, doc, resend_at, Step.RESEND, v.QUEUED)
    log.add(resent, doc, repicked, Step.RESEND_PICKUP, v.READY_TO_PROCESS)
    ready = np.where(
        needs_approval, np.where(queued, np.where(resent, repicked, picked), approved), t0
    )

    # Accountants work in surges before each client's VAT deadline, steadily otherwise.
    deadline_day = filing_deadline_day(
        docs.activity_day, facts.frequency[space], facts.filing_day[space]
    )
    deadline = deadline_day * DAY_US + 16 * HOUR_US
    has_deadline = (deadline_day != NO_DEADLINE) & (deadline > ready + 12 * HOUR_US)
    surge = has_deadline & chance(0.6)
    natural = np.where(
        surge,
        np.maximum(ready + SECOND_US, deadline - uniform_us(rng, n, 0.3 * DAY_US, 6 * DAY_US)),
        ready + lognormal_us(rng, n, 2 * 86400, 1.0),
    )
    natural += np.where(chance(0.02), uniform_us(rng, n, 40 * DAY_US, 200 * DAY_US), 0)
    in_bulk = chance(bulk_share)
    processed = snap_to_bulk(
        sometimes_whole_seconds(rng, working_time_after(rng, natural)), space, in_bulk, facts
    )
    processor = _processor(rng, processed, space, facts, in_bulk)
    log.add(flow, doc, processed, Step.PROCESS, v.PROCESSED, processor=processor)

    # A few processed documents are re-opened and processed again later.
    reopened = flow & chance(0.02)
    reopen_at = working_time_after(rng, processed + lognormal_us(rng, n, 1.5 * 86400, 1.0))
    reprocessed = working_time_after(rng, reopen_at + lognormal_us(rng, n, 2 * 86400, 1.0))
    log.add(reopened, doc, reopen_at, Step.REOPEN, v.READY_TO_PROCESS)
    log.add(
        reopened,
        doc,
        reprocessed,
        Step.REPROCESS,
        v.PROCESSED,
        processor=_processor(rng, reprocessed, space, facts, np.zeros(n, bool)),
    )

    edited = is_other & ~imported & chance(0.35)
    log.add(
        edited,
        doc,
        working_time_after(rng, t0 + lognormal_us(rng, n, 3 * 86400, 1.0)),
        Step.EDIT,
        business=v.VALIDATED,
    )

    deleted = ~imported & chance(0.01)
    deleted_at = t0 + np.maximum(lognormal_us(rng, n, 5 * 86400, 1.5), HOUR_US)
    log.add(deleted, doc, deleted_at, Step.TOMBSTONE, SET_NULL, SET_NULL, SET_NULL)
    return ordered_events(
        log, facts.horizon[space], np.where(deleted, deleted_at, np.iinfo(np.int64).max)
    )


def _processor(
    rng: np.random.Generator,
    when: np.ndarray,
    space: np.ndarray,
    facts: SpaceFacts,
    in_bulk: np.ndarray,
) -> np.ndarray:
    """The space's primary accountant at that time; sometimes the secondary (never in bulk)."""
    switch = facts.switch_at[space]
    primary = np.where(
        (switch >= 0) & (when >= switch), facts.primary_after[space], facts.primary_before[space]
    )
    secondary = facts.secondary[space]
    use_secondary = (secondary >= 0) & ~in_bulk & (rng.random(len(when)) < 0.2)
    return np.where(use_secondary, secondary, primary)
