"""The one published test firm of a session, shared read-only by the web, serving and
end-to-end tests (the `published_firm` fixture of tests/conftest.py).

Two refreshes (the second incremental) read a moving simulated world four simulated days
apart; between them one client's link ends (ACTIVE -> ARCHIVED), so documents landed earlier
must leave the marts. The last refresh runs at 22:30 UTC on Sunday 19 April 2026, already
Monday 20 April in Brussels: the as-of date is 2026-04-20, the BE monthly deadline of March
(deadline == as-of date keeps March the filing period), while the BE quarterly Q1 deadline
(Saturday 25 April) moves to Monday 27 April. INSIGHTS_AS_OF pins each read's instant so the
figures are deterministic. Every refresh is the real Dagster job against the simulator, with
INSIGHTS_POSTGRES_DSN set, so the PostgreSQL marts, roles and policies come from the
product's own publish step. Tests that change a published state work on copies or on their
own server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines.as_of import rfc3339
from pipelines.settings import Settings
from pipelines.simulator import SimClock, WorldConfig, build_world
from tests.conftest import make_settings, refresh_once
from tests.postgres_server import PostgresServer

LAST_READ = datetime(2026, 4, 19, 22, 30, tzinfo=UTC)
AS_OF = LAST_READ
AS_OF_DATE = date(2026, 4, 20)  # LAST_READ in Brussels
REFRESHES = 2
STEP = timedelta(days=4)
FIRST_READ = LAST_READ - (REFRESHES - 1) * STEP
READS = tuple(FIRST_READ + number * STEP for number in range(REFRESHES))
WORLD = WorldConfig(seed=74, clients=25, history_days=200, anchor=FIRST_READ,
                    documents_per_client_month=30)
TIMEZONE = "Europe/Brussels"
URL_TEMPLATE = "https://docs.example.test/firm/{client_id}/{category}?status={status}&src=bi"


@dataclass
class PublishedFirm:
    home: Path
    settings: Settings  # of the last refresh
    serving_path: Path
    postgres: PostgresServer
    world: object
    as_of: datetime


def publish_firm(home: Path, postgres: PostgresServer) -> PublishedFirm:
    world = build_world(WORLD)
    clock = SimClock(start=FIRST_READ)
    for number in range(REFRESHES):
        if number:
            clock.advance(STEP)
        settings = make_settings(home, INSIGHTS_AS_OF=rfc3339(clock.now()),
                                 INSIGHTS_TIMEZONE=TIMEZONE,
                                 INSIGHTS_DOCUMENTS_URL_TEMPLATE=URL_TEMPLATE,
                                 INSIGHTS_POSTGRES_DSN=postgres.publisher_dsn)
        refresh_once(settings, world, clock)
    assert clock.now() == LAST_READ
    config = settings.get()
    return PublishedFirm(home, config, config.serving_path, postgres, world, LAST_READ)
