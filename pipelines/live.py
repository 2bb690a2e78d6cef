"""Live mode: refresh when the source changed, not on a clock.

`pending_change` asks the API cheaply whether anything changed since the last refresh: the
space list (one request) for spaces that became or stopped being ACTIVE, then per ACTIVE space
one `limit=1` page of documents updated after its high-water mark, stopping at the first
change. The Dagster sensor (live_sensor.py) and `insights refresh --watch` both use it, and
both skip while another run is writing. Late commits (a version committed after the mark had
passed its `updated_at`) are not seen here; the lookback of the next refresh, the scheduled
refresh and the nightly reconciliation pick them up.
"""

from __future__ import annotations

import contextlib
import fcntl
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from pipelines.extraction.lists import active_space_ids, current_spaces
from pipelines.landing.marks import MarkStore
from pipelines.landing.zone import LandingZone
from pipelines.settings import Settings, load_schedule_settings

_AFTER = timedelta(microseconds=1)  # updated_gte is inclusive; the mark itself is landed


def pending_change(settings: Settings, api) -> str | None:
    """Why a refresh is due (a short sentence), or None when the source has nothing new."""
    from pipelines.resources.api_client import SpaceUnavailable

    landed = set(active_space_ids(current_spaces(LandingZone(settings.landing_dir))))
    marks = MarkStore(settings.state_dir)
    with api.client() as client:
        active = {s["id"] for s in client.list_spaces() if s.get("link_status") == "ACTIVE"}
        if active != landed:
            return (f"{len(active - landed)} space(s) became active, "
                    f"{len(landed - active)} stopped being active")
        for space_id in sorted(active):
            mark = marks.get(space_id)
            try:
                document = client.first_document_since(space_id, mark + _AFTER if mark else None)
            except SpaceUnavailable:
                continue  # reported by every refresh already; asking again changes nothing
            if document is not None:
                return f"space {space_id} has changes since {mark.isoformat() if mark else 'ever'}"
    return None


def writer_busy(state_dir: Path) -> bool:
    """Whether a run holds the writer lock right now (see writer_lock.py)."""
    path = Path(state_dir) / "writer.lock"
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


class _Stop(Exception):
    """SIGTERM (systemd, a supervisor) while live mode waits: end like Ctrl-C."""


def watch(settings, api, refresh: Callable[[], int], say: Callable[[str], None],
          interval: int | None = None, ticks: int | None = None) -> int:
    """`insights refresh --watch`: after the first refresh, ask every `interval` seconds and
    refresh only on a change, until Ctrl-C or SIGTERM (or `ticks` questions, for tests).

    A stop while a refresh runs lets that refresh finish first (its publish is then whole);
    a stop while waiting ends at once."""
    interval = interval or load_schedule_settings().live_interval_seconds or 60
    config = settings.get()
    say(f"Live mode: asking {config.api_url} for changes every {interval}s (Ctrl-C stops).")
    state = {"refreshing": False, "stop": False}

    def on_term(_signum, _frame):
        state["stop"] = True
        if not state["refreshing"]:
            raise _Stop
        say("stopping after the refresh that is running")

    previous = signal.signal(signal.SIGTERM, on_term)
    code = 0
    asked = 0
    try:
        with contextlib.suppress(KeyboardInterrupt, _Stop):
            while (ticks is None or asked < ticks) and not state["stop"]:
                time.sleep(interval)
                asked += 1
                if writer_busy(config.state_dir):
                    say("another run is writing; asking again later")
                    continue
                try:
                    reason = pending_change(config, api)
                except _Stop:
                    raise
                except Exception as error:  # noqa: BLE001 (an API outage must not end live mode)
                    say(f"could not ask the API for changes ({error}); asking again later")
                    continue
                if reason is None:
                    continue
                say(f"Change at the source: {reason}. Refreshing.")
                state["refreshing"] = True
                try:
                    code = refresh()
                finally:
                    state["refreshing"] = False
    finally:
        signal.signal(signal.SIGTERM, previous)
    return code
