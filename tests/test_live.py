"""Live mode: the cheap change probe, the sensor and `insights refresh --watch`, against the
real simulator over HTTP (extraction only: the probe reads marks and landed spaces)."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest
from dagster._core.utils import make_new_run_id

from pipelines.as_of import run_as_of
from pipelines.definitions import build_definitions
from pipelines.landing.zone import LandingZone
from pipelines.live import pending_change, watch, writer_busy
from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME, WRITER_TAG
from pipelines.simulator import SimClock
from pipelines.writer_lock import writer_lock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings


@pytest.fixture
def extracted(tmp_path, small_world):
    """A home whose landing zone is up to date with the simulator at ANCHOR."""
    settings = make_settings(tmp_path)
    clock = SimClock(start=ANCHOR)
    api = SimulatedClientSpacesApi(settings, world=small_world, clock=clock, retry=FAST_RETRY)
    assert run_refresh(settings, api, job_name=EXTRACT_JOB_NAME).ok
    yield settings, api, clock
    api.close()


def test_nothing_pending_right_after_a_refresh_then_a_change_is_seen(extracted):
    settings, api, clock = extracted
    assert pending_change(settings.get(), api) is None
    clock.advance(timedelta(days=2))  # the simulated firm moves on: documents change
    reason = pending_change(settings.get(), api)
    assert reason is not None and "has changes since" in reason


def test_a_space_that_became_active_is_a_change(extracted):
    settings, api, _clock = extracted
    assert pending_change(settings.get(), api) is None
    # Make the landing zone remember one ACTIVE space as archived: the source disagrees.
    newest = max(LandingZone(settings.get().landing_dir).landed_files("spaces"))
    frame = pl.read_parquet(newest)
    first_active = frame["link_status"].eq("ACTIVE").arg_true()[0]
    frame.with_columns(link_status=pl.when(pl.int_range(pl.len()) == first_active)
                       .then(pl.lit("ARCHIVED")).otherwise("link_status")).write_parquet(newest)
    assert pending_change(settings.get(), api) == "1 space(s) became active, 0 stopped being active"


def test_the_writer_lock_is_seen_as_busy(tmp_path):
    state = tmp_path / "state"
    assert not writer_busy(state)
    with writer_lock(state):
        assert writer_busy(state)
    assert not writer_busy(state)


def _sensor_result(settings, api, instance):
    defs = build_definitions(settings=settings, api=api)
    sensor = defs.resolve_sensor_def("live_refresh")
    context = dg.build_sensor_context(instance=instance,
                                      resources={"settings": settings, "api": api})
    return sensor.evaluate_tick(context)


def test_the_sensor_requests_a_refresh_with_an_as_of_only_on_a_change(extracted):
    settings, api, clock = extracted
    with dg.instance_for_test() as instance:
        idle = _sensor_result(settings, api, instance)
        assert not idle.run_requests and "no change" in idle.skip_message
        clock.advance(timedelta(days=2))
        (request,) = _sensor_result(settings, api, instance).run_requests
        assert run_as_of(request.tags)


def test_the_sensor_never_starts_a_second_writer(extracted):
    settings, api, clock = extracted
    clock.advance(timedelta(days=2))
    with dg.instance_for_test() as instance:
        with writer_lock(settings.get().state_dir):  # `insights refresh` is writing
            busy = _sensor_result(settings, api, instance)
        assert not busy.run_requests and "writing" in busy.skip_message
        instance.add_run(dg.DagsterRun(  # a scheduled run is writing
            job_name=EXTRACT_JOB_NAME, run_id=make_new_run_id(), tags=WRITER_TAG,
            status=dg.DagsterRunStatus.STARTED))
        running = _sensor_result(settings, api, instance)
        assert not running.run_requests and "writing" in running.skip_message


def test_watch_refreshes_only_when_something_changed(extracted):
    settings, api, clock = extracted
    refreshes, lines = [], []
    watch(settings, api, lambda: refreshes.append(1) or 0, lines.append, interval=0.01, ticks=2)
    assert refreshes == []
    clock.advance(timedelta(days=2))
    watch(settings, api, lambda: refreshes.append(1) or 0, lines.append, interval=0.01, ticks=1)
    assert refreshes == [1]
    assert any("Change at the source" in line for line in lines)


def test_watch_ends_at_once_on_sigterm_while_it_waits(extracted):
    settings, api, _ = extracted
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    code = watch(settings, api, lambda: 0, lambda _line: None, interval=30)
    assert code == 0 and time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back


def test_a_sigterm_during_a_refresh_lets_it_finish_then_watch_ends(extracted):
    settings, api, clock = extracted
    clock.advance(timedelta(days=2))
    finished, lines = [], []

    def refresh() -> int:
        os.kill(os.getpid(), signal.SIGTERM)  # systemd stops the service mid-refresh
        time.sleep(0.2)
        finished.append(True)
        return 0

    code = watch(settings, api, refresh, lines.append, interval=0.01)
    assert code == 0 and finished == [True]
    assert "stopping after the refresh that is running" in lines
