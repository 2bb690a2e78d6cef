"""Client spaces: attributes, size skew and link-status timelines (one row per space)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from pipelines.simulator.config import WorldConfig
from pipelines.simulator.randomness import (
    DAY_US,
    HOUR_US,
    SPACES_STREAM,
    choose_fixed,
    random_uuids,
    stream,
    uniform_us,
)
from pipelines.simulator.vocab import (
    COUNTRIES,
    COUNTRY_DEADLINE_DAYS,
    COUNTRY_WEIGHTS,
    FILING_FREQUENCIES,
    FREQUENCY_WEIGHTS,
    LEGAL_FORMS,
    NAME_STEMS,
    NAME_TRADES,
    SHOWCASE_SPACE_NAMES,
)

# Share of spaces per final link status; ACTIVE takes the remainder.
STATUS_SHARES = {
    "ARCHIVED": 0.06,
    "LOST": 0.05,
    "DRAFT": 0.03,
    "INVITED": 0.04,
    "INVITATION_REJECTED": 0.03,
    "ACCESS_REJECTED": 0.04,
}
# lognormal sigma giving the top ~5% of clients ~40% of the documents.
SIZE_SIGMA = 1.4
IMPORT_GROUP_TARGET = 1500  # documents imported at one instant into the biggest spaces


def to_us(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _status_plan(rng: np.random.Generator, n: int) -> list[str]:
    minimum = 1 if n >= 10 else 0
    plan: list[str] = []
    for status, share in STATUS_SHARES.items():
        plan += [status] * max(minimum, round(share * n))
    plan = plan[: max(n - max(1, n // 2), 0)]
    plan += ["ACTIVE"] * (n - len(plan))
    return [plan[i] for i in rng.permutation(n)]


def _names(rng: np.random.Generator, countries: list[str]) -> list[str]:
    names = []
    for i, country in enumerate(countries):
        if i < len(SHOWCASE_SPACE_NAMES):
            names.append(SHOWCASE_SPACE_NAMES[i][0])
            continue
        stem = NAME_STEMS[rng.integers(len(NAME_STEMS))]
        trade = NAME_TRADES[rng.integers(len(NAME_TRADES))]
        form = LEGAL_FORMS[country][rng.integers(len(LEGAL_FORMS[country]))]
        names.append(f"{trade} {stem} {form}")
    return names


def _vat_number(rng: np.random.Generator, country: str) -> str | None:
    if rng.random() < 0.06:
        return None
    digits = "".join(str(d) for d in rng.integers(0, 10, 10))
    formats = {
        "BE": f"BE0{digits[:9]}",
        "NL": f"NL{digits[:9]}B01",
        "LU": f"LU{digits[:8]}",
        "FR": f"FR{digits[:2]}{digits[1:10]}",
        "DE": f"DE{digits[:9]}",
        "PL": f"PL{digits}",
    }
    return formats[country]


def build_spaces(config: WorldConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (spaces, link_events); times are microseconds since the epoch (UTC)."""
    rng = stream(config.seed, SPACES_STREAM)
    n = config.clients
    anchor, horizon = to_us(config.anchor), to_us(config.anchor) + config.future_days * DAY_US
    history_start = anchor - config.history_days * DAY_US
    countries = [COUNTRIES[c] for c in choose_fixed(rng, n, COUNTRY_WEIGHTS)]
    for i, (_, country) in enumerate(SHOWCASE_SPACE_NAMES[:n]):
        countries[i] = country
    frequency = [int(choose_fixed(rng, 1, FREQUENCY_WEIGHTS[c])[0]) for c in countries]
    override = [
        int(rng.integers(15, 25))
        if c == "FR"
        else (int(rng.integers(10, 29)) if rng.random() < 0.05 else None)
        for c in countries
    ]
    weight = np.exp(SIZE_SIGMA * rng.standard_normal(n))
    weight = weight / weight.mean()
    statuses = _status_plan(rng, n)
    active = [i for i in range(n) if statuses[i] == "ACTIVE"]
    by_order = [active[i] for i in rng.permutation(len(active))]
    n_movers = max(1, round(0.015 * n)) if config.future_days >= 2 and len(active) >= 4 else 0
    movers = set(by_order[:n_movers])
    n_revoked = min(config.revoked_spaces, max(len(active) - n_movers - 1, 0))
    revoked = set(by_order[n_movers : n_movers + n_revoked])
    eligible = sorted(set(active) - movers - revoked, key=lambda i: -weight[i])
    n_imports = max(1, round(0.02 * n)) if config.history_days >= 120 else 0
    imports = set(eligible[:n_imports])

    rows, events = [], []
    ids = random_uuids(rng, n).to_list()
    names = _names(rng, countries)
    rate_per_day = config.documents_per_client_month * 12 / 365.25

    def office(t_us: float) -> int:
        """A random office-hours instant on the day of t."""
        day = int(t_us // DAY_US) * DAY_US
        return day + int(uniform_us(rng, 1, 7 * HOUR_US, 17 * HOUR_US)[0])

    def days(low: float, high: float) -> int:
        return int(rng.uniform(low, high) * DAY_US)

    for i in range(n):
        status = statuses[i]
        activated = end = import_at = None
        if status in ("ACTIVE", "ARCHIVED", "LOST"):
            if i in imports:
                span = IMPORT_GROUP_TARGET / max(rate_per_day * weight[i], 1e-9)
                activated = office(
                    history_start + np.clip(span, 45, config.history_days / 2) * DAY_US
                )
                created = activated - days(1, 10)
                import_at = activated + days(0.1, 2)
            elif rng.random() < 0.7:
                created = office(history_start - days(30, 1500))
                activated = created + days(1, 20)
            else:
                created = office(history_start + days(0, max(config.history_days - 20, 1)))
                activated = created + days(1, 10)
            events += [
                (i, created, "DRAFT"),
                (i, created + (activated - created) // 3, "INVITED"),
                (i, activated, "ACTIVE"),
            ]
            if status != "ACTIVE":
                low = max(activated, history_start) + 30 * DAY_US
                end = office(low + rng.random() * max(anchor - DAY_US - low, 0))
                end = min(max(end, activated + HOUR_US), anchor - HOUR_US)
            elif i in movers:
                end = anchor + days(0.1, config.future_days - 0.1)
                status = "ARCHIVED" if sorted(movers).index(i) % 2 == 0 else "LOST"
            if end is not None:
                events.append((i, end, status))
        else:
            created = office(anchor - days(20, min(400, config.history_days + 20)))
            events.append((i, created, "DRAFT"))
            if status != "DRAFT" and status != "ACCESS_REJECTED":
                events.append((i, created + days(0.1, 2), "INVITED"))
            if status in ("INVITATION_REJECTED", "ACCESS_REJECTED"):
                events.append((i, created + days(3, 19), status))
        doc_start = None if activated is None else max(activated, history_start)
        if import_at is not None:
            doc_start = history_start
        country = countries[i]
        rule = COUNTRY_DEADLINE_DAYS[country]
        rows.append(
            {
                "space_idx": i,
                "id": ids[i],
                "name": names[i],
                "type": "BUSINESS",
                "vat_number": _vat_number(rng, country),
                "country": country,
                "vat_filing_frequency": FILING_FREQUENCIES[frequency[i]],
                "frequency_code": frequency[i],
                "vat_deadline_day": override[i],
                "filing_day": override[i] or rule[min(frequency[i], 2)],
                "created_us": created,
                "doc_start_us": doc_start,
                "doc_end_us": None if activated is None else min(horizon, end or horizon),
                "import_at_us": import_at,
                "weight": float(weight[i]),
                "revoked": i in revoked,
                "has_integration": bool(rng.random() < 0.55),
                "bank_accounts": int(choose_fixed(rng, 1, [0.5, 0.35, 0.15])[0]) + 1,
                "render_offset_minutes": int(rng.choice([0, 0, 0, 60, 120])),
            }
        )
    schema = {
        "vat_deadline_day": pl.Int64,
        "doc_start_us": pl.Int64,
        "doc_end_us": pl.Int64,
        "import_at_us": pl.Int64,
        "vat_number": pl.String,
    }
    spaces = pl.DataFrame(rows, schema_overrides=schema)
    link_events = pl.DataFrame(events, schema=["space_idx", "at_us", "link_status"], orient="row")
    return spaces, link_events.sort("space_idx", "at_us")
