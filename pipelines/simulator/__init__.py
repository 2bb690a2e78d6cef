"""A seeded, deterministic fake of the Client Spaces API, served over real HTTP on loopback.

The names below load on first use (PEP 562), so that importing one light submodule (the
command line's argument definitions) does not load the server and its data libraries.
"""

import importlib

_HOMES = {
    "DEMO_CLIENT_ID": "config",
    "DEMO_CLIENT_SECRET": "config",
    "FaultConfig": "config",
    "SimClock": "clock",
    "SimulatorServer": "server",
    "World": "world",
    "WorldConfig": "config",
    "build_world": "world",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
