"""Shared fixtures of the simulator tests: one default-size world per session."""

from __future__ import annotations

import pytest

from pipelines.simulator import World, WorldConfig, build_world
from tests.simulator.support import ANCHOR


@pytest.fixture(scope="session")
def config() -> WorldConfig:
    return WorldConfig(anchor=ANCHOR)


@pytest.fixture(scope="session")
def world(config: WorldConfig) -> World:
    built = build_world(config)
    built.feed()
    return built


@pytest.fixture(scope="session")
def small_sim_world() -> World:
    return build_world(WorldConfig(seed=11, clients=24, history_days=200, anchor=ANCHOR))
