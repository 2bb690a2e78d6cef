"""A full disk and a kill -9 during the publish: one line, marts unchanged, and the next run
leaves nothing behind (never touching a file a live process writes)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.schedules import REBUILD_JOB_NAME
from pipelines.serving.leftovers import remove_crash_leftovers
from tests.conftest import make_settings
from tests.failures.conftest import INSIGHTS, ROOT, api_env, marts, serving_fingerprint

# a real refresh of the shared firm runs first; on a busy 2-CPU machine that takes minutes
pytestmark = [pytest.mark.failures, pytest.mark.timeout(2400)]
HERE = Path(__file__).parent


def leftovers(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for folder in ("serving", "warehouse")
                  for p in (home / folder).rglob("*") if p.name.endswith((".partial", ".wal")))


def test_kill_9_during_the_publish_then_the_next_run_removes_the_partial_copy(
        home, simulator, published_template):
    before = serving_fingerprint(home)
    child = subprocess.run([sys.executable, str(HERE / "publish_kill_child.py"), str(home)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    # the third mart's copy, never renamed, in the slot being written; the two marts before
    # it are in place there, in a slot no view reads (Parquet: no WAL)
    (partial,) = leftovers(home)
    assert partial.startswith("serving/generations/slot=1/."), partial
    assert len(list((home / "serving/generations/slot=1").glob("*.parquet"))) == 2
    assert serving_fingerprint(home) == before, "a killed publish changed the serving file"

    # copies some live process is still writing must survive the clean-up
    writer = subprocess.Popen(["sleep", "600"])
    live = home / "serving" / f".insights.duckdb.{writer.pid}-0123abcd.partial"
    live.write_bytes(b"being written")
    live_generation = (home / "serving" / "generations" / "slot=1"
                       / f".fct_documents__0123456789.parquet.{writer.pid}-0123abcd.partial")
    live_generation.write_bytes(b"being written")
    try:
        settings = make_settings(home, **api_env(simulator))
        outcome = run_refresh(settings, ClientSpacesApi(settings), job_name=REBUILD_JOB_NAME)
        assert outcome.ok, outcome.step_causes
        assert live.exists(), "the clean-up removed a file of a live process"
        assert live_generation.exists(), "the clean-up removed a slot file of a live process"
    finally:
        writer.kill()
        writer.wait()
    live.unlink()
    live_generation.unlink()
    assert leftovers(home) == []
    assert marts(home / "serving" / "insights.duckdb") == marts(
        published_template / "serving" / "insights.duckdb")


def test_only_dead_writers_copies_are_removed_and_never_a_database_wal(tmp_path):
    writer = subprocess.Popen(["sleep", "600"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    names = [f".insights.duckdb.{writer.pid}-0123abcd.partial",  # live: kept
             f".insights.duckdb.{dead.pid}-0123abcd.partial",  # dead: removed
             f".insights.duckdb.{dead.pid}-0123abcd.partial.wal",
             ".insights.duckdb.89abcdef.partial",  # an older version's copy, no pid: removed
             "insights.duckdb", "warehouse.duckdb.wal"]  # the databases and their WAL: kept
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    try:
        removed = sorted(p.name for p in remove_crash_leftovers(tmp_path))
    finally:
        writer.kill()
        writer.wait()
    assert removed == sorted(names[1:4])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names[0], *names[4:]])


def test_a_full_disk_fails_in_one_line_and_the_rerun_recovers(tmp_path, simulator,
                                                              published_template):
    assert shutil.which("unshare"), "util-linux unshare is needed to mount a private tmpfs"
    result = tmp_path / "result.json"
    mount_dir = tmp_path / "disk"
    mount_dir.mkdir()
    env = api_env(simulator)
    child = subprocess.run(
        ["unshare", "-rm", sys.executable, str(HERE / "disk_full_child.py"), str(result),
         str(published_template), str(mount_dir), INSIGHTS, json.dumps(env)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(result.read_text())
    output = report["full_stdout"] + report["full_stderr"]
    assert report["full_rc"] == 1, output
    assert "Traceback" not in output, output
    last = output.strip().splitlines()[-1]
    assert "FAILED" in last and "no space left on the device of" in last, output
    assert "nothing new was published" in last, output
    assert report["serving_after_full"] == report["serving_before"]
    # with space again: the rerun succeeds, nothing of the failed run is left behind, and the
    # marts are those of the same input before
    assert report["again_rc"] == 0, report["again_stdout"][-3000:] + report["again_stderr"]
    assert not [f for f in report["again_files"] if f.endswith((".partial", ".wal"))], \
        report["again_files"]
    assert marts(result.with_suffix(".duckdb")) == marts(
        published_template / "serving" / "insights.duckdb")
