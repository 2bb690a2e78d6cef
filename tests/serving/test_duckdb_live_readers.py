"""Publishing to the serving DuckDB file while another process reads it in a loop.

DuckDB allows one writer or many readers of a file, never both; the publish step therefore
builds a new file and renames it over the old one. A reader process runs through several
real refreshes: neither side may fail with a lock error, and every read must be one complete,
consistent set of marts. A control run shows the reader does report lock errors when a writer
holds the file in place, so a silent pass means something.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from pipelines.simulator import SimClock, WorldConfig, build_world
from tests.conftest import ANCHOR, make_settings, refresh_once

READER = Path(__file__).with_name("duckdb_reader.py")
REFRESHES = 3


def _start_reader(serving_path: Path, out: Path, stop: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(READER), str(serving_path), str(out), str(stop)])


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_a_reader_in_a_loop_never_blocks_a_refresh_and_always_sees_a_complete_set(tmp_path):
    world = build_world(WorldConfig(seed=5, clients=8, history_days=60, anchor=ANCHOR,
                                    documents_per_client_month=20))
    clock = SimClock(start=ANCHOR)
    settings = make_settings(tmp_path / "home")
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = _start_reader(settings.get().serving_path, out, stop)
    try:
        for _ in range(REFRESHES):
            refresh_once(settings, world, clock)
            clock.advance(timedelta(hours=6))
            time.sleep(1.0)  # the reader reads the new set before the next refresh
    finally:
        stop.touch()
        reader.wait(timeout=60)
    records = _records(out)
    errors = [r["error"] for r in records if "error" in r]
    assert errors == []
    inconsistent = [r for r in records if r["problems"]]
    assert inconsistent == []
    assert len({r["as_of"] for r in records}) == REFRESHES, "reads spanned every refresh"
    assert len(records) > 20


def test_the_reader_reports_a_lock_error_when_a_writer_holds_the_file(tmp_path):
    path = tmp_path / "insights.duckdb"
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    with duckdb.connect(str(path)) as writer:  # what an in-place publish would do
        writer.execute("create schema marts")
        reader = _start_reader(path, out, stop)
        time.sleep(3)
        stop.touch()
        reader.wait(timeout=60)
    errors = [r["error"] for r in _records(out) if "error" in r]
    assert errors and all("lock" in error.lower() for error in errors), errors[:3]
