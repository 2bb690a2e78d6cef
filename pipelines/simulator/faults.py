"""Seeded fault decisions: per request from a locked RNG, per document version from a hash."""

from __future__ import annotations

import threading

import numpy as np
import polars as pl

from pipelines.simulator.config import FaultConfig

# Checked in this order; the first fault drawn wins. Token requests only see the first two.
REQUEST_FAULTS = [
    "rate_limit",
    "server_error",
    "connection_reset",
    "timeout",
    "token_revoked",
    "truncated_json",
]
TOKEN_FAULTS = ["rate_limit", "server_error"]
INVALID_KINDS = [
    "unknown_category",
    "missing_document_id",
    "unparseable_received_at",
    "space_id_mismatch",
    "amount_not_decimal",
]
FOREIGN_SPACE_ID = "00000000-0000-4000-8000-000000000000"


class FaultDecider:
    """Deterministic for a given request order: one draw per fault type per request."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = np.random.default_rng([config.seed, 1])
        self._lock = threading.Lock()

    def for_request(self, token_request: bool) -> tuple[str | None, float]:
        """(fault name or None, an extra uniform draw used to vary the fault's details)."""
        with self._lock:
            draws = self._rng.random(len(REQUEST_FAULTS) + 1)
        allowed = TOKEN_FAULTS if token_request else REQUEST_FAULTS
        for name, draw in zip(REQUEST_FAULTS, draws, strict=False):
            if name in allowed and draw < getattr(self.config, name):
                return name, float(draws[-1])
        return None, float(draws[-1])


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a stable, well-spread 64-bit hash."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def invalid_kinds(
    document_ids: pl.Series, updated_us: np.ndarray, config: FaultConfig
) -> np.ndarray:
    """Index into INVALID_KINDS per version, -1 when valid; a re-read gives the same answer."""
    n = len(document_ids)
    if config.invalid_records <= 0 or n == 0:
        return np.full(n, -1, np.int8)
    prefix = (
        document_ids.str.replace_all("-", "", literal=True)
        .str.slice(0, 15)
        .str.to_integer(base=16)
        .to_numpy()
        .astype(np.uint64)
    )
    with np.errstate(over="ignore"):
        seed = _mix(np.full(n, config.seed, np.uint64))
        hashed = _mix(prefix ^ _mix(updated_us.astype(np.uint64) ^ seed))
        kind = (_mix(hashed) % np.uint64(len(INVALID_KINDS))).astype(np.int8)
    uniform = (hashed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.where(uniform < config.invalid_records, kind, -1).astype(np.int8)


DROP_DOCUMENT_ID = "__drop_document_id__"
# document_id is the first key of a record; this text is cut out of the serialised page.
DROP_DOCUMENT_ID_TEXT = '{"document_id":"' + DROP_DOCUMENT_ID + '",'


def corrupted_columns(kind: pl.Expr, columns: dict[str, pl.Expr]) -> dict[str, pl.Expr]:
    """Replacement expressions breaking each chosen record the way a buggy upstream would."""
    replacements = {
        "category": "CREDIT_CARD_SLIP",
        "document_id": DROP_DOCUMENT_ID,
        "received_at": "2026-13-45T25:61:00Z",
        "space_id": FOREIGN_SPACE_ID,
        "total_incl_vat": "12,50 EUR",
    }
    return {
        field: pl.when(kind == INVALID_KINDS.index(name))
        .then(pl.lit(value))
        .otherwise(columns[field])
        .alias(field)
        for name, (field, value) in zip(INVALID_KINDS, replacements.items(), strict=True)
    }
