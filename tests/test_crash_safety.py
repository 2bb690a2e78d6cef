"""A refresh killed mid-landing (SIGKILL) and then rerun converges to the same landed set."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.landing.marks import MarkStore
from pipelines.landing.zone import LandingZone
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME
from tests.conftest import ANCHOR, make_settings, running_simulator
from tests.test_extraction import keys, landed_documents, readable_truth

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("mode", ["after_landing", "before_landing"])
def test_kill_then_rerun_loses_and_duplicates_nothing(tmp_path, small_world, mode):
    with running_simulator(small_world) as server:
        child = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "crash_child.py"), str(tmp_path), server.url,
             server.client_id, server.client_secret, mode],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]

        zone = LandingZone(tmp_path / "landing")
        landed_files = zone.landed_files("documents")
        marked = MarkStore(tmp_path / "state").all()
        partials = zone.partial_files()
        if mode == "after_landing":
            # Three batches landed, only two marks moved: the crash hit between the two.
            assert len(landed_files) == 3 and len(marked) == 2
        else:
            assert len(partials) == 1 and len(landed_files) == 2

        settings = make_settings(tmp_path, INSIGHTS_API_URL=server.url,
                                 INSIGHTS_API_CLIENT_ID=server.client_id,
                                 INSIGHTS_API_CLIENT_SECRET=server.client_secret)
        outcome = run_refresh(settings, ClientSpacesApi(settings), job_name=EXTRACT_JOB_NAME)
        assert outcome.ok, (outcome.failed_steps, outcome.failed_checks)

    landed = landed_documents(tmp_path)
    assert landed.height == len(keys(landed)), "the rerun duplicated versions"
    assert keys(landed) == keys(readable_truth(small_world, ANCHOR)), "the rerun lost versions"
    assert not zone.partial_files()
    assert zone.scan_documents() is not None
