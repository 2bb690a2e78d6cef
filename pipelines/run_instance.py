"""The Dagster instance a run started by `insights` records itself in (one owner of the choice).

With DAGSTER_HOME set, the deployment's own instance (its dagster.yaml: PostgreSQL storage in
production), so the runs of `insights refresh` and the daemon's scheduled runs share one run
history in the UI. Without it, a persistent SQLite instance under INSIGHTS_HOME/dagster.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

import dagster as dg

from pipelines.settings import Settings


def open_instance(config: Settings) -> dg.DagsterInstance:
    folder = config.dagster_home or config.home / "dagster"
    folder.mkdir(parents=True, exist_ok=True)
    # Two first runs at once would both create the instance's tables: take turns.
    with open(Path(folder) / ".instance.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if config.dagster_home is not None:
            return dg.DagsterInstance.from_config(str(folder))
        return dg.DagsterInstance.local_temp(
            tempdir=str(folder), overrides={"telemetry": {"enabled": False}})
