"""Shared fixtures: a small seeded world, settings under tmp_path, a simulator on loopback."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest

from pipelines.dbt_manifest import ensure_manifest

ensure_manifest()  # the definitions are built from the parsed dbt project

from pipelines.resources.api_client import ClientSpacesClient, RetryPolicy  # noqa: E402
from pipelines.resources.settings_resource import InsightsSettings  # noqa: E402
from pipelines.settings import load_settings  # noqa: E402
from pipelines.simulator import (  # noqa: E402
    FaultConfig,
    SimClock,
    SimulatorServer,
    WorldConfig,
    build_world,
)

ANCHOR = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=40, backoff_base_seconds=0.001, backoff_max_seconds=0.01)


@pytest.fixture(scope="session")
def small_world():
    """About 20 clients over four months: every status and category, small enough to be fast."""
    return build_world(WorldConfig(seed=11, clients=20, history_days=120, anchor=ANCHOR,
                                   documents_per_client_month=30))


@pytest.fixture(scope="session")
def published_firm(tmp_path_factory):
    """The session's one published firm (tests/published_firm.py); read-only for its users."""
    from tests.postgres_server import start_server, stop_server
    from tests.published_firm import publish_firm

    server = start_server()
    try:
        yield publish_firm(tmp_path_factory.mktemp("published-firm") / "home", server)
    finally:
        stop_server(server)


def make_settings(home, **variables) -> InsightsSettings:
    env = {"INSIGHTS_HOME": str(home), "INSIGHTS_API_PAGE_SIZE": "100",
           "INSIGHTS_API_CONCURRENCY": "2"}
    env.update({k: str(v) for k, v in variables.items()})
    return InsightsSettings(load_settings(env))


@contextlib.contextmanager
def running_simulator(world, *, faults: FaultConfig | None = None, clock: SimClock | None = None,
                      **options):
    server = SimulatorServer(world, clock=clock or SimClock(start=ANCHOR), faults=faults,
                             **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_serving_file(home, as_of) -> None:
    """A minimal serving database whose marts say they are as of `as_of`."""
    import duckdb

    path = home / "serving" / "insights.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.mart_client_overview (data_as_of timestamptz)")
        con.execute("insert into marts.mart_client_overview values (?)", [as_of])


def refresh_once(settings: InsightsSettings, world, clock: SimClock):
    """One real refresh (the Dagster job) against the simulator serving `world`; it must pass."""
    from pipelines.refresh import run_refresh
    from pipelines.resources.client_spaces import SimulatedClientSpacesApi

    api = SimulatedClientSpacesApi(settings, world=world, clock=clock)
    try:
        outcome = run_refresh(settings, api)
    finally:
        api.close()
    assert outcome.ok, (outcome.failed_steps, outcome.failed_checks)
    return outcome


def client_for(server, *, page_size=100, timeout=5.0, retry=FAST_RETRY, **kwargs):
    return ClientSpacesClient(server.url, server.client_id, server.client_secret,
                              page_size=page_size, timeout_seconds=timeout, retry=retry, **kwargs)
