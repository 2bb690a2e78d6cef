"""Frozen settings of the simulated world and of the faults the server injects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# The credentials the simulator accepts unless told otherwise.
DEMO_CLIENT_ID = "insights-demo"
DEMO_CLIENT_SECRET = "insights-demo-secret-not-for-production"  # noqa: S105 - a demo value


def _today_midnight_utc() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


@dataclass(frozen=True)
class WorldConfig:
    """Everything that determines the world: the same config gives byte-identical data."""

    seed: int = 7
    clients: int = 150
    history_days: int = 730
    # The simulated "now" at clock start; events run on to anchor + future_days.
    anchor: datetime = field(default_factory=_today_midnight_utc)
    future_days: int = 30
    documents_per_client_month: float = 40.0
    late_commit_share: float = 0.02
    bulk_update_share: float = 0.05
    # ACTIVE spaces whose documents answer 403 although the space list shows them ACTIVE.
    revoked_spaces: int = 1

    def __post_init__(self) -> None:
        if self.anchor.tzinfo is None:
            raise ValueError("WorldConfig.anchor must be timezone-aware")
        object.__setattr__(self, "anchor", self.anchor.astimezone(UTC))
        if self.clients < 1 or self.history_days < 1 or self.future_days < 0:
            raise ValueError("clients and history_days must be >= 1, future_days >= 0")
        for name in ("late_commit_share", "bulk_update_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"WorldConfig.{name} must lie in [0, 1]")


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities (0..1) of each injected fault; all off by default."""

    seed: int = 0
    rate_limit: float = 0.0
    retry_after: str = "1"
    # Share of 429 answers whose Retry-After is an HTTP date instead of seconds.
    retry_after_http_date_share: float = 0.25
    server_error: float = 0.0
    connection_reset: float = 0.0
    timeout: float = 0.0
    timeout_sleep_seconds: float = 2.0
    truncated_json: float = 0.0
    # A valid token answers 401 (and is revoked); never on a token's first request unless 1.0.
    token_revoked: float = 0.0
    # Per document version, decided by a hash so a re-read is invalid again.
    invalid_records: float = 0.0
    # Spaces whose documents always answer 503: a space that keeps failing, for isolation tests.
    failing_spaces: frozenset[str] = frozenset()
    # Volume mode: the share of each list (spaces, users, assignments) that is served; below 1
    # the source suddenly "loses" items, which the volume checks must stop before publishing.
    list_share: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "rate_limit",
            "retry_after_http_date_share",
            "server_error",
            "connection_reset",
            "timeout",
            "truncated_json",
            "token_revoked",
            "invalid_records",
            "list_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"FaultConfig.{name} must lie in [0, 1]")
