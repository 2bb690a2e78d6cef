"""A landing zone built once by the real landing assets against the simulator (loopback)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.assets.landing import LANDING_ASSETS
from pipelines.landing.zone import LandingZone
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.simulator import SimClock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings


@dataclass(frozen=True)
class Landed:
    landing: Path
    documents: pl.DataFrame  # the largest single-space documents batch file
    spaces: pl.DataFrame
    users: pl.DataFrame
    assignments: pl.DataFrame


def _single_file(zone: LandingZone, entity: str) -> pl.DataFrame:
    files = zone.landed_files(entity)
    assert len(files) == 1, files
    return pl.read_parquet(files[0])


@pytest.fixture(scope="session")
def landed(tmp_path_factory, small_world) -> Landed:
    home = tmp_path_factory.mktemp("gx-landing")
    settings = make_settings(home)
    api = SimulatedClientSpacesApi(settings, world=small_world, clock=SimClock(start=ANCHOR),
                                   retry=FAST_RETRY)
    try:
        result = dg.materialize(LANDING_ASSETS, resources={"settings": settings, "api": api})
    finally:
        api.close()
    assert result.success
    landing = home / "landing"
    zone = LandingZone(landing)
    document_files = sorted(zone.landed_files("documents"), key=lambda p: p.stat().st_size)
    documents = pl.read_parquet(document_files[-1])
    assert documents.height == zone.scan_documents(documents["space_id"][0]).collect().height
    return Landed(
        landing=landing,
        documents=documents,
        spaces=_single_file(zone, "spaces"),
        users=_single_file(zone, "users"),
        assignments=_single_file(zone, "assignments"),
    )
