"""A seeded, deterministic fake of the Client Spaces API, served over real HTTP on loopback."""

from pipelines.simulator.clock import SimClock
from pipelines.simulator.config import FaultConfig, WorldConfig
from pipelines.simulator.server import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimulatorServer
from pipelines.simulator.world import World, build_world

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "FaultConfig",
    "SimClock",
    "SimulatorServer",
    "World",
    "WorldConfig",
    "build_world",
]
