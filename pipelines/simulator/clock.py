"""A simulated clock: manual advances, per-request ticks and optional real-time speed."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """now() = start + advances + ticks * tick_per_request + speed * real elapsed seconds."""

    def __init__(
        self,
        start: datetime,
        tick_per_request: timedelta | float = timedelta(0),
        speed: float = 0.0,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware")
        self._start = start.astimezone(UTC)
        # A bare number means seconds.
        self._tick = (
            tick_per_request
            if isinstance(tick_per_request, timedelta)
            else timedelta(seconds=tick_per_request)
        )
        self._speed = speed
        self._offset = timedelta(0)
        self._ticks = 0
        self._real_start = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = self._offset + self._tick * self._ticks
            if self._speed:
                real = time.monotonic() - self._real_start
                elapsed += timedelta(seconds=self._speed * real)
            return self._start + elapsed

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._offset += delta
        return self.now()

    def tick(self) -> datetime:
        """Called once per data request so reads see a deterministically moving world."""
        with self._lock:
            self._ticks += 1
        return self.now()

    @property
    def ticks(self) -> int:
        with self._lock:
            return self._ticks
