"""Vectorised VAT filing deadlines: the month after the period ends, weekend -> Monday."""

from __future__ import annotations

import numpy as np

from pipelines.simulator.vocab import ANNUAL, MONTHLY, NO_FILING, QUARTERLY

NO_DEADLINE = -1


def _month_index(day: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of a day count since 1970-01-01."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start_day(month: np.ndarray) -> np.ndarray:
    return month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def filing_deadline_day(
    activity_day: np.ndarray, frequency: np.ndarray, filing_day: np.ndarray
) -> np.ndarray:
    """Deadline (days since epoch) of the VAT period holding each activity day.

    `filing_day` is the client's day (country rule or override; 31 = last day), capped at
    the month's length. NONE filers get NO_DEADLINE.
    """
    month = _month_index(activity_day)
    period_end = np.select(
        [frequency == MONTHLY, frequency == QUARTERLY, frequency == ANNUAL],
        [month, month - month % 3 + 2, month - month % 12 + 11],
        default=month,
    )
    # Annual returns are due in March of the next year, the others a month after the period.
    deadline_month = np.where(frequency == ANNUAL, period_end + 3, period_end + 1)
    start = _month_start_day(deadline_month)
    month_length = _month_start_day(deadline_month + 1) - start
    deadline = start + np.minimum(filing_day, month_length) - 1
    day_of_week = (deadline + 3) % 7  # 0 = Monday
    deadline = deadline + np.where(day_of_week == 5, 2, np.where(day_of_week == 6, 1, 0))
    return np.where(frequency == NO_FILING, NO_DEADLINE, deadline)
