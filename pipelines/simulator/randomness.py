"""Vectorised random helpers: seeded streams, UUIDs, weighted choices and human working times."""

from __future__ import annotations

import numpy as np
import polars as pl

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US

# Stream ids keep the random sequences of independent parts of the world apart.
SPACES_STREAM, USERS_STREAM, ASSIGNMENTS_STREAM, DOCUMENTS_STREAM, LIFECYCLE_STREAM = range(5)

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Byte positions of the 32 hex digits inside the 36-character UUID text.
_UUID_DIGIT_POSITIONS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)], dtype=np.intp)


def stream(seed: int, stream_id: int, block: int = 0) -> np.random.Generator:
    """An independent generator per (seed, part, block): chunking never changes the data."""
    return np.random.default_rng([seed, stream_id, block])


def random_uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """n version-4 UUID strings, built without a Python loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGIT_POSITIONS] = _HEX[nibbles]
    return pl.Series(np.ascontiguousarray(text).view("S36").ravel()).cast(pl.String)


def choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) weight matrix (rows need not sum to 1)."""
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(weights)) * cumulative[:, -1]
    return (draws[:, None] >= cumulative).sum(axis=1).astype(np.int8)


def choose_fixed(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    """n indices drawn from one weight vector."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int8)


def lognormal_us(
    rng: np.random.Generator, n: int, median_seconds: float, sigma: float
) -> np.ndarray:
    """Positive durations (>= 1 s) with a long right tail, in microseconds."""
    seconds = median_seconds * np.exp(sigma * rng.standard_normal(n))
    return np.maximum(seconds * SECOND_US, SECOND_US).astype(np.int64)


def uniform_us(rng: np.random.Generator, n: int, low_us: float, high_us: float) -> np.ndarray:
    return (low_us + rng.random(n) * (high_us - low_us)).astype(np.int64)


def weekday(t_us: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (np.floor_divide(t_us, DAY_US) + 3) % 7


def skip_weekend(t_us: np.ndarray) -> np.ndarray:
    """Moves Saturday and Sunday instants to the same time on Monday."""
    day_of_week = weekday(t_us)
    shift = np.where(day_of_week == 5, 2, np.where(day_of_week == 6, 1, 0))
    return t_us + shift * DAY_US


def working_time_after(rng: np.random.Generator, t_us: np.ndarray) -> np.ndarray:
    """A human acts at a random office-hours instant (07-17 UTC, weekdays) at or after t."""
    day_start = np.floor_divide(t_us, DAY_US) * DAY_US
    candidate = day_start + uniform_us(rng, len(t_us), 7 * HOUR_US, 17 * HOUR_US)
    candidate = np.where(candidate < t_us, candidate + DAY_US, candidate)
    return skip_weekend(candidate)


def sometimes_whole_seconds(
    rng: np.random.Generator, t_us: np.ndarray, share: float = 0.35
) -> np.ndarray:
    """Some systems write second precision: those instants render without a fraction."""
    whole = np.floor_divide(t_us, SECOND_US) * SECOND_US
    return np.where(rng.random(len(t_us)) < share, whole, t_us)


def forward_fill(values: np.ndarray, no_change: int) -> np.ndarray:
    """Carries the last value that is not `no_change` forward (the first row must be set)."""
    positions = np.where(values != no_change, np.arange(len(values)), 0)
    np.maximum.accumulate(positions, out=positions)
    return values[positions]
