"""One firm refreshed end to end and published to DuckDB and to a real PostgreSQL server.

The refresh runs the real Dagster job against the simulator with INSIGHTS_POSTGRES_DSN set,
so the PostgreSQL marts, roles and policies come from the product's own publish step. Tests
that change the published state use their own server (`fresh_postgres`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.simulator import SimClock, WorldConfig, build_world
from tests.conftest import make_settings, refresh_once
from tests.postgres_server import PostgresServer, running_server, start_server, stop_server

AS_OF = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)
WORLD = WorldConfig(seed=23, clients=24, history_days=150, anchor=AS_OF,
                    documents_per_client_month=25)


@dataclass
class ServedFirm:
    home: Path
    serving_path: Path
    postgres: PostgresServer
    world: object


@pytest.fixture(scope="session")
def served_firm(tmp_path_factory):
    server = start_server()
    home = tmp_path_factory.mktemp("served-firm")
    world = build_world(WORLD)
    settings = make_settings(home, INSIGHTS_AS_OF=AS_OF.isoformat(),
                             INSIGHTS_POSTGRES_DSN=server.publisher_dsn)
    refresh_once(settings, world, SimClock(start=AS_OF))
    try:
        yield ServedFirm(home, settings.get().serving_path, server, world)
    finally:
        stop_server(server)


@pytest.fixture
def fresh_postgres():
    with running_server() as server:
        yield server
