"""Run a refresh that kills its own process (SIGKILL) at a chosen point of landing.

Used by test_crash_safety.py as a child process: a real kill, not an exception, so no
`finally` block or atexit handler gets to tidy up.
"""

import os
import signal
import sys
from pathlib import Path

from pipelines.landing import marks, zone
from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.schedules import EXTRACT_JOB_NAME
from pipelines.settings import load_settings

KILL_ON_CALL = 3


def kill_on_nth_call(original, should_count):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        if should_count(*args):
            calls["n"] += 1
            if calls["n"] == KILL_ON_CALL:
                os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    return wrapper


def main() -> None:
    home, url, client_id, secret, mode = sys.argv[1:6]
    if mode == "after_landing":
        # A documents batch is durable, its mark is about to move: die now.
        marks.MarkStore.set = kill_on_nth_call(marks.MarkStore.set, lambda *a: True)
    elif mode == "before_landing":
        # The bytes are written to a .partial file, the rename has not happened: die now.
        landing = LandingZone(Path(home) / "landing")

        def is_documents_batch(source, *_rest):  # a file of a space's documents folder
            return Path(source).parent in landing.space_dirs()

        zone.os.replace = kill_on_nth_call(os.replace, is_documents_batch)
    else:
        raise SystemExit(f"unknown mode {mode}")
    settings = InsightsSettings(load_settings({
        "INSIGHTS_HOME": home, "INSIGHTS_API_URL": url, "INSIGHTS_API_CLIENT_ID": client_id,
        "INSIGHTS_API_CLIENT_SECRET": secret, "INSIGHTS_API_PAGE_SIZE": "100",
        "INSIGHTS_API_CONCURRENCY": "1",
    }))
    run_refresh(settings, ClientSpacesApi(settings), job_name=EXTRACT_JOB_NAME)
    raise SystemExit("the refresh finished without reaching the kill point")


if __name__ == "__main__":
    main()
