"""Removing what a crashed writer left: unfinished database copies, their WAL files and
unfinished serving generations.

A publish builds `.insights.duckdb.<pid>-<id>.partial` (and DuckDB its `.partial.wal`) next
to the serving file, `.<mart>__<hash>.parquet.<pid>-<id>.partial` in the slot of
serving/generations it writes, and `.current.csv.<pid>-<id>.partial` beside the slots, and
renames each into place when complete; a kill -9 before the rename leaves them behind, never
visible to readers but taking disk space. The next writer
removes them, and only when that is safe: it holds the writer lock (every writer of these
files holds it while writing, so none is writing now), and the pid in the name is not a live
process (a copy by an older version, without a pid, counts as dead under the lock).

A database's own WAL (`warehouse.duckdb.wal`) is never removed: it holds committed work that
DuckDB replays when it next opens the database.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_PARTIAL = re.compile(r"^\..+\.(?:(?P<pid>\d+)-)?[0-9a-f]{8}\.partial(?:\.wal)?$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_crash_leftovers(folder: Path) -> list[Path]:
    """Call while holding the writer lock; returns the files removed."""
    removed = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.iterdir()):
        match = _PARTIAL.match(path.name)
        if not match:
            continue
        pid = match.group("pid")
        if pid is not None and _alive(int(pid)):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def clean_leftovers(settings, log) -> None:
    """The serving and warehouse folders of one INSIGHTS_HOME; under the writer lock."""
    from pipelines.serving.duckdb_file import SLOTS, generations_dir, slot_dir

    generations = generations_dir(settings.serving_path)
    for folder in (settings.serving_path.parent, generations,
                   *(slot_dir(generations, slot) for slot in range(SLOTS)),
                   settings.warehouse_path.parent):
        for path in remove_crash_leftovers(folder):
            log(f"removed {path.name}, left by an interrupted run")
