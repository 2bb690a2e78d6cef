"""SimClock: manual advances, per-request ticks and real-time speed."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from pipelines.simulator import SimClock
from tests.simulator.support import ANCHOR


def test_clock_starts_at_start_and_advances() -> None:
    clock = SimClock(ANCHOR)
    assert clock.now() == ANCHOR
    assert clock.advance(timedelta(days=2)) == ANCHOR + timedelta(days=2)
    assert clock.tick() == ANCHOR + timedelta(days=2)  # no tick size: ticks do not move time


def test_ticks_move_time_deterministically_across_threads() -> None:
    clock = SimClock(ANCHOR, tick_per_request=timedelta(seconds=30))
    threads = [
        threading.Thread(target=lambda: [clock.tick() for _ in range(100)]) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.ticks == 800
    assert clock.now() == ANCHOR + timedelta(seconds=30 * 800)


def test_speed_follows_real_time() -> None:
    clock = SimClock(ANCHOR, speed=3600.0)
    time.sleep(0.05)
    elapsed = clock.now() - ANCHOR
    assert timedelta(seconds=150) <= elapsed <= timedelta(seconds=3600)


def test_start_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        SimClock(datetime(2026, 1, 1))
    assert SimClock(datetime(2026, 1, 1, 2, tzinfo=UTC)).now().tzinfo is not None
    seconds = SimClock(ANCHOR, tick_per_request=30)
    assert seconds.tick() == ANCHOR + timedelta(seconds=30)
