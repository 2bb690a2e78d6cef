"""One writer at a time: an exclusive lock on $INSIGHTS_HOME/state/writer.lock.

DuckDB allows one writer per file, and two extractions of the same space at once would both
land the same new versions. Every step that writes (landing, the warehouse build, publishing,
holds and releases, compaction, a mark reset) holds this lock while it writes, so an
overlapping scheduled and manual run waits its turn instead of failing on a lock error or
duplicating data.

Call sites take it through one wrapper, `Settings.writing()` (or `LandingZone.writing()` where
only the landing zone is at hand), never by hand. The lock is re-entrant within a thread: a
step that holds it may call code that takes it again (the nested entry neither waits nor
journals). `holds_writer_lock(state_dir)` says whether this process holds it (in any thread:
the extraction lands from worker threads while its step holds the lock), and the landing zone
refuses every write without it (`WriterLockRequired`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path


class WriterBusy(RuntimeError):
    pass


class WriterLockRequired(RuntimeError):
    """A write to the landing zone without the writer lock (a bug in the caller)."""


# lock file -> (pid, thread ident, depth) of the holder in this process
_holders: dict[Path, tuple[int, int, int]] = {}
_holders_guard = threading.Lock()


def _lock_path(state_dir: Path) -> Path:
    return Path(os.path.abspath(Path(state_dir) / "writer.lock"))


def holds_writer_lock(state_dir: Path) -> bool:
    """Whether this process (any of its threads) holds the writer lock of `state_dir`."""
    with _holders_guard:
        holder = _holders.get(_lock_path(state_dir))
    return holder is not None and holder[0] == os.getpid()


def _reenter(path: Path, delta: int) -> bool:
    """Change the depth when this thread already holds the lock; False when it does not."""
    me = (os.getpid(), threading.get_ident())
    with _holders_guard:
        holder = _holders.get(path)
        if holder is None or holder[:2] != me:
            return False
        _holders[path] = (*me, holder[2] + delta)
        return True


@contextlib.contextmanager
def writer_lock(
    state_dir: Path,
    *,
    timeout_seconds: float = 3600,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    path = _lock_path(state_dir)
    if _reenter(path, +1):
        try:
            yield
        finally:
            _reenter(path, -1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not announced and on_wait:
                    on_wait(f"another run is writing under {path.parent.parent}; waiting")
                    announced = True
                if time.monotonic() >= deadline:
                    raise WriterBusy(
                        f"another run held {path} for over {timeout_seconds:.0f}s"
                    ) from None
                time.sleep(0.2)
        with _holders_guard:
            _holders[path] = (os.getpid(), threading.get_ident(), 1)
        # Who held the lock and when, so overlapping runs can be audited (and tested).
        journal = path.with_name("writer.journal")
        started = time.time()
        try:
            yield
        finally:
            with _holders_guard:
                _holders.pop(path, None)
            with open(journal, "a") as record:
                record.write(f"{started:.6f} {time.time():.6f} {os.getpid()}\n")
            fcntl.flock(handle, fcntl.LOCK_UN)
