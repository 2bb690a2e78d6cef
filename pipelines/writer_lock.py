"""One writer at a time: an exclusive lock on $INSIGHTS_HOME/state/writer.lock.

DuckDB allows one writer per file, and two extractions of the same space at once would both
land the same new versions. Every asset that writes (landing, the warehouse build, publishing)
holds this lock while it writes, so an overlapping scheduled and manual run waits its turn
instead of failing on a lock error or duplicating data.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path


class WriterBusy(RuntimeError):
    pass


@contextlib.contextmanager
def writer_lock(
    state_dir: Path,
    *,
    timeout_seconds: float = 3600,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    path = Path(state_dir) / "writer.lock"
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
        # Who held the lock and when, so overlapping runs can be audited (and tested).
        journal = path.with_name("writer.journal")
        started = time.time()
        try:
            yield
        finally:
            with open(journal, "a") as record:
                record.write(f"{started:.6f} {time.time():.6f} {os.getpid()}\n")
            fcntl.flock(handle, fcntl.LOCK_UN)
