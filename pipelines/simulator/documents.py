"""Static document attributes for one block of spaces, vectorised (no per-document loop)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.simulator import vocab as v
from pipelines.simulator.randomness import (
    DAY_US,
    HOUR_US,
    choose,
    choose_fixed,
    random_uuids,
    sometimes_whole_seconds,
    uniform_us,
)

PEPPOL_MANDATE_US = 1_767_225_600_000_000  # 2026-01-01: Peppol mandatory for Belgian B2B
CATEGORY_WEIGHTS = [0.22, 0.55, 0.17, 0.0, 0.06]  # movement reports are generated monthly


@dataclass(frozen=True)
class DocumentBlock:
    """Contract columns that never change across versions, plus arrays the lifecycle needs."""

    static: pl.DataFrame
    space_local: np.ndarray
    received_us: np.ndarray
    category: np.ndarray
    document_type: np.ndarray
    channel: np.ndarray
    activity_day: np.ndarray


def _received_times(
    rng: np.random.Generator, space_local: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Arrivals cluster in office hours on weekdays, always inside [start, end)."""
    span = (end - start)[space_local]
    first = start[space_local]
    raw = first + (rng.random(len(space_local)) * span).astype(np.int64)
    hour = np.where(
        rng.random(len(raw)) < 0.85,
        np.clip(rng.normal(11.0, 3.0, len(raw)), 6.0, 21.0),
        rng.random(len(raw)) * 24,
    )
    t = np.floor_divide(raw, DAY_US) * DAY_US + (hour * HOUR_US).astype(np.int64)
    t += rng.integers(0, 1_000_000, len(t))
    day_of_week = (np.floor_divide(t, DAY_US) + 3) % 7
    to_monday = np.where(day_of_week == 5, 2, np.where(day_of_week == 6, 1, 0))
    t = np.where(rng.random(len(t)) < 0.7, t + to_monday * DAY_US, t)
    inside = (t >= first) & (t < first + span)
    return np.where(inside, t, raw)


def _movement_reports(
    rng: np.random.Generator, spaces: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One statement per bank account per month, all accounts imported in one bank-feed run."""
    space_parts, time_parts, issue_parts = [], [], []
    for local, (start, end, accounts) in enumerate(
        spaces.select("doc_start_us", "doc_end_us", "bank_accounts").iter_rows()
    ):
        months = np.arange(
            np.datetime64(start // DAY_US, "D").astype("datetime64[M]"),
            np.datetime64(end // DAY_US, "D").astype("datetime64[M]") + 1,
        )
        next_month_day = (months + 1).astype("datetime64[D]").astype(np.int64)
        arrival = (
            next_month_day * DAY_US
            + uniform_us(rng, len(months), 1 * DAY_US, 4 * DAY_US) // HOUR_US * HOUR_US
            + uniform_us(rng, len(months), 0, 2 * HOUR_US)
        )
        keep = (arrival >= start) & (arrival < end)
        space_parts.append(np.full(keep.sum() * accounts, local))
        time_parts.append(np.repeat(arrival[keep], accounts))
        issue_parts.append(np.repeat(next_month_day[keep] - 1, accounts))
    return np.concatenate(space_parts), np.concatenate(time_parts), np.concatenate(issue_parts)


def _channels(
    rng: np.random.Generator,
    category: np.ndarray,
    received: np.ndarray,
    is_be: np.ndarray,
    history: tuple[int, int],
) -> np.ndarray:
    progress = np.clip((received - history[0]) / max(history[1] - history[0], 1), 0, 1)
    peppol = 0.05 + 0.30 * progress + np.where(is_be & (received >= PEPPOL_MANDATE_US), 0.40, 0)
    n = len(category)
    weights = np.zeros((n, len(v.INTAKE_CHANNELS)))
    rows = {
        v.PURCHASE: [0.25, 0.35, 0, 0.05, 0.10, 0],
        v.SALES: [0.25, 0.10, 0, 0, 0.45, 0],
        v.RECEIPT: [0.30, 0.15, 0, 0.55, 0, 0],
        v.OTHER: [0.60, 0.35, 0, 0.05, 0, 0],
        v.MOVEMENT_REPORT: [0, 0, 0, 0, 0, 1],
    }
    for code, row in rows.items():
        weights[category == code] = row
    invoice = (category == v.PURCHASE) | (category == v.SALES)
    weights[:, v.PEPPOL] = np.where(invoice, peppol / (1 - peppol) * weights[:, :5].sum(1), 0)
    return choose(rng, weights)


def _amount_text(cents: pl.Expr) -> pl.Expr:
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    magnitude = cents.abs()
    return pl.format(
        "{}{}.{}", sign, magnitude // 100, (magnitude % 100).cast(pl.String).str.zfill(2)
    )


def build_documents(
    rng: np.random.Generator, spaces: pl.DataFrame, rate_per_month: float, history: tuple[int, int]
) -> DocumentBlock:
    """Documents of the spaces in `spaces` (row position = local space index)."""
    start = spaces["doc_start_us"].to_numpy()
    end = spaces["doc_end_us"].to_numpy()
    months = (end - start) / (30.4375 * DAY_US)
    counts = rng.poisson(rate_per_month * spaces["weight"].to_numpy() * months)
    space_local = np.repeat(np.arange(len(spaces)), counts)
    received = _received_times(rng, space_local, start, end)
    category = choose_fixed(rng, len(space_local), CATEGORY_WEIGHTS)
    report_space, report_time, report_issue = _movement_reports(rng, spaces)
    space_local = np.concatenate([space_local, report_space])
    received = sometimes_whole_seconds(rng, np.concatenate([received, report_time]))
    category = np.concatenate([category, np.full(len(report_space), v.MOVEMENT_REPORT, np.int8)])
    order = np.lexsort((category, received, space_local))
    space_local, received, category = space_local[order], received[order], category[order]
    report_issue_all = np.concatenate(
        [np.zeros(len(order) - len(report_issue), np.int64), report_issue]
    )
    report_issue_all = report_issue_all[order]
    n = len(order)

    country = spaces["country"].to_numpy()[space_local]
    invoice = (category == v.PURCHASE) | (category == v.SALES)
    document_type = np.select(
        [invoice, category == v.RECEIPT, category == v.MOVEMENT_REPORT],
        [
            np.where(rng.random(n) < 0.06, v.CREDIT_NOTE, v.INVOICE),
            v.RECEIPT_TYPE,
            v.BANK_STATEMENT,
        ],
        default=v.OTHER_TYPE,
    ).astype(np.int8)
    channel = _channels(rng, category, received, country == "BE", history)
    received_day = np.floor_divide(received, DAY_US)
    lag_days = np.select(
        [invoice, category == v.RECEIPT],
        [rng.integers(0, 11, n), rng.integers(0, 3, n)],
        default=rng.integers(0, 31, n),
    )
    issue_day = np.where(category == v.MOVEMENT_REPORT, report_issue_all, received_day - lag_days)
    has_issue = (category == v.MOVEMENT_REPORT) | (rng.random(n) >= 0.03)
    has_due = invoice & (document_type == v.INVOICE) & has_issue
    due_day = issue_day + np.array([30, 14, 60, 45])[choose_fixed(rng, n, [0.6, 0.15, 0.15, 0.1])]
    activity_day = np.where(has_issue, issue_day, received_day)

    median = np.select(
        [category == v.SALES, category == v.PURCHASE], [90_000, 25_000], default=2_500
    )
    sigma = np.where(category == v.RECEIPT, 0.8, 1.2)
    excl = np.maximum(np.round(median * np.exp(sigma * rng.standard_normal(n))), 1).astype(np.int64)
    excl = np.where(document_type == v.CREDIT_NOTE, -excl, excl)
    rate = np.zeros(n)
    for code, (rates, weights) in v.VAT_RATES.items():
        here = country == code
        rate[here] = np.asarray(rates)[choose_fixed(rng, int(here.sum()), weights)]
    vat = np.round(excl * rate / 100).astype(np.int64)
    has_amount = invoice | (category == v.RECEIPT)
    foreign = rng.random(n) < 0.02
    currency_code = np.where(
        foreign, rng.integers(2, 6, n), np.where((country == "PL") & (rng.random(n) < 0.8), 1, 0)
    )
    counterparty = np.where(
        category == v.MOVEMENT_REPORT,
        rng.integers(0, len(v.BANKS), n) + len(v.COUNTERPARTIES),
        rng.integers(0, len(v.COUNTERPARTIES), n),
    )
    has_counterparty = (category != v.OTHER) | (rng.random(n) < 0.5)
    year = received_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    no_number = ((category == v.RECEIPT) & (rng.random(n) < 0.5)) | (category == v.OTHER)
    raw = pl.DataFrame(
        {
            "year": year,
            "serial": rng.integers(1, 100_000, n),
            "cat": category,
            "no_number": no_number,
            "issue_day": issue_day,
            "has_issue": has_issue,
            "due_day": due_day,
            "has_due": has_due,
            "excl": excl,
            "vat": vat,
            "has_amount": has_amount,
            "has_currency": has_amount | (category == v.MOVEMENT_REPORT),
            "has_counterparty": has_counterparty,
        }
    )
    gather = lambda values, codes, dtype=pl.String: pl.Series(values, dtype=dtype).gather(codes)  # noqa: E731
    serial = pl.col("serial").cast(pl.String).str.zfill(5)
    number = (
        pl.when(pl.col("cat") == v.SALES)
        .then(pl.format("F{}-{}", "year", serial))
        .when(pl.col("cat") == v.PURCHASE)
        .then(pl.format("INV-{}-{}", "year", serial))
        .when(pl.col("cat") == v.RECEIPT)
        .then(pl.format("T{}{}", serial, "year"))
        .otherwise(pl.format("{}/{}", "year", serial))
    )
    static = raw.select(
        document_id=random_uuids(rng, n),
        space_id=spaces["id"].gather(space_local),
        category=gather(v.CATEGORIES, category, v.ENUM_DTYPES["category"]),
        document_type=gather(v.DOCUMENT_TYPES, document_type, v.ENUM_DTYPES["document_type"]),
        document_number=pl.when(~pl.col("no_number")).then(number),
        issue_date=pl.when("has_issue").then(pl.col("issue_day").cast(pl.Int32).cast(pl.Date)),
        due_date=pl.when("has_due").then(pl.col("due_day").cast(pl.Int32).cast(pl.Date)),
        received_at=pl.lit(pl.Series(received)).cast(pl.Datetime("us", "UTC")),
        intake_channel=gather(v.INTAKE_CHANNELS, channel, v.ENUM_DTYPES["intake_channel"]),
        currency=pl.when("has_currency").then(
            gather(["EUR", "PLN", "USD", "GBP", "CHF", "SEK"], currency_code)
        ),
        total_excl_vat=pl.when("has_amount").then(_amount_text(pl.col("excl"))),
        vat_amount=pl.when("has_amount").then(_amount_text(pl.col("vat"))),
        total_incl_vat=pl.when("has_amount").then(_amount_text(pl.col("excl") + pl.col("vat"))),
        counterparty_name=pl.when("has_counterparty").then(
            gather(v.COUNTERPARTIES + v.BANKS, counterparty)
        ),
    )
    return DocumentBlock(
        static, space_local, received, category, document_type, channel, activity_day
    )
