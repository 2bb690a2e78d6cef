"""One simulated history shared by the dbt tests: several extractions, a dbt build after each.

The world moves between extractions (new documents, status changes, re-opens, deletions) and
one extraction reads just before a late commit becomes visible, so the next one lands a
version older than versions already landed. One document file is also landed a second time
in a later batch. The same landing zone is then rebuilt from scratch with --full-refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipelines.simulator import SimClock
from tests.conftest import ANCHOR
from tests.dbt.support import (
    Warehouse,
    extract,
    find_late_commit,
    find_reopen,
    reland_a_document_file,
    statuses,
)


@dataclass
class History:
    landing: Path
    incremental: Warehouse
    as_of: datetime
    late_commit: dict
    reopened: dict
    relanded_file: Path | None = None
    builds: list[dict[str, str]] = field(default_factory=list)  # node -> status, per build
    build_ok: list[bool] = field(default_factory=list)
    # per build: the backlog's keys and the first day each build recomputed (replace_from)
    backlog_merges: list[pl.DataFrame] = field(default_factory=list)


@pytest.fixture(scope="session")
def history(tmp_path_factory, small_world) -> History:
    root = tmp_path_factory.mktemp("dbt_history")
    home = root / "home"
    # Late commits that overtake a newer version of their space are rare: search 60 days.
    late, late_read_at = find_late_commit(
        small_world, ANCHOR - timedelta(days=60), ANCHOR - timedelta(days=1)
    )
    assert late is not None, "the simulated world has no late commit to test with"
    reopened, reopen_read_at = find_reopen(
        small_world, late_read_at + timedelta(minutes=6), ANCHOR
    )
    assert reopened is not None, "the simulated world has no re-opened document to test with"
    reads = [
        late_read_at,  # the first load: the late version is not visible yet, a newer one is
        late_read_at + timedelta(minutes=6),  # inside the lookback: the late version lands now
        reopen_read_at,  # a processed document that the next extraction sees re-opened
        ANCHOR,
    ]
    result = History(
        landing=home / "landing",
        incremental=Warehouse(root / "incremental.duckdb", root / "incremental-dbt"),
        as_of=reads[-1],
        late_commit=late,
        reopened=reopened,
    )
    clock = SimClock(start=reads[0])
    for number, read_at in enumerate(reads):
        clock.advance(read_at - clock.now())
        extract(home, small_world, clock)
        if number == 1:
            result.relanded_file = reland_a_document_file(result.landing)
        build = result.incremental.dbt("build", landing_dir=result.landing, as_of=read_at)
        result.build_ok.append(build.success)
        result.builds.append(statuses(build))
        result.backlog_merges.append(result.incremental.query(
            "select keys.client_id, keys.category, affected.replace_from"
            " from (select distinct client_id, category from marts.fct_client_backlog_daily) keys"
            " left join main.fct_client_backlog_daily__affected affected"
            " using (client_id, category)") if number else pl.DataFrame())
    return result


@pytest.fixture(scope="session")
def full_refresh(history, tmp_path_factory) -> Warehouse:
    """The final landing zone built from scratch into a second warehouse."""
    root = tmp_path_factory.mktemp("dbt_full")
    warehouse = Warehouse(root / "full.duckdb", root / "full-dbt")
    build = warehouse.dbt("build", "--full-refresh", landing_dir=history.landing,
                          as_of=history.as_of)
    assert build.success, {k: v for k, v in statuses(build).items() if v not in ("success", "pass")}
    return warehouse
