"""The serving tests read the session's published firm (tests/published_firm.py): published
to DuckDB and, by the product's own publish step, to a real PostgreSQL server. Tests that
change a published state use their own server (`fresh_postgres`) or a copy."""

from __future__ import annotations

import pytest

from tests.postgres_server import running_server


@pytest.fixture
def fresh_postgres():
    with running_server() as server:
        yield server
