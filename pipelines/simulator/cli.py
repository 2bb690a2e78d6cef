"""`insights simulate`: serve the simulated Client Spaces API until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import timedelta

from pipelines.simulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FaultConfig, WorldConfig
from pipelines.simulator.tokens import parse_timestamp

FAULT_OPTIONS = [
    "rate_limit",
    "server_error",
    "connection_reset",
    "timeout",
    "truncated_json",
    "token_revoked",
    "invalid_records",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = WorldConfig.__dataclass_fields__
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--clients", type=int, default=defaults["clients"].default)
    parser.add_argument("--seed", type=int, default=defaults["seed"].default)
    parser.add_argument("--history-days", type=int, default=defaults["history_days"].default)
    parser.add_argument(
        "--anchor",
        type=parse_timestamp,
        default=None,
        help="simulated now at start, RFC 3339 (default: today 00:00 UTC)",
    )
    parser.add_argument(
        "--tick-seconds", type=float, default=0.0, help="simulated seconds added per data request"
    )
    parser.add_argument(
        "--clock-speed", type=float, default=0.0, help="simulated seconds per real second"
    )
    for name in FAULT_OPTIONS:
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=float,
            default=0.0,
            metavar="P",
            help=f"probability of {name.replace('_', ' ')} (0..1)",
        )
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")


def run(args: argparse.Namespace) -> int:
    from pipelines.simulator.clock import SimClock
    from pipelines.simulator.server import SimulatorServer  # the server and its data libraries
    from pipelines.simulator.world import build_world
    world_options = {"seed": args.seed, "clients": args.clients, "history_days": args.history_days}
    if args.anchor is not None:
        world_options["anchor"] = args.anchor
    config = WorldConfig(**world_options)
    started = time.perf_counter()
    world = build_world(config)
    faults = FaultConfig(
        seed=args.fault_seed, **{name: getattr(args, name) for name in FAULT_OPTIONS}
    )
    clock = SimClock(config.anchor, timedelta(seconds=args.tick_seconds), args.clock_speed)
    server = SimulatorServer(
        world,
        args.host,
        args.port,
        clock,
        faults,
        args.client_id,
        args.client_secret,
        verbose=args.verbose,
    )
    print(
        f"Simulator serving {server.url} ({config.clients} clients, seed {config.seed}, "
        f"now {config.anchor.isoformat()}, built in {time.perf_counter() - started:.1f}s); "
        "Ctrl-C to stop. Export:",
        flush=True,
    )
    print(
        f"export INSIGHTS_API_URL={server.url}\n"
        f"export INSIGHTS_API_CLIENT_ID={args.client_id}\n"
        f"export INSIGHTS_API_CLIENT_SECRET={args.client_secret}",
        flush=True,
    )
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # Installed explicitly: a shell that started us in the background may ignore SIGINT.
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: stop.set())
    server.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping simulator", file=sys.stderr)
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="insights simulate", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
