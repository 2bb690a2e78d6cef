"""`insights simulate`: options, the printed exports, and a clean stop on Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

import httpx

from pipelines.simulator import DEMO_CLIENT_ID
from pipelines.simulator.cli import add_arguments
from tests.simulator.support import get_token


def test_options_and_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    defaults = parser.parse_args([])
    assert (defaults.host, defaults.port, defaults.clients) == ("127.0.0.1", 8765, 150)
    assert defaults.client_id == DEMO_CLIENT_ID and defaults.rate_limit == 0.0
    args = parser.parse_args(
        [
            "--anchor",
            "2026-04-01T02:00:00+02:00",
            "--invalid-records",
            "0.1",
            "--tick-seconds",
            "30",
        ]
    )
    assert args.anchor.isoformat() == "2026-04-01T00:00:00+00:00"
    assert args.invalid_records == 0.1 and args.tick_seconds == 30.0


def test_serves_until_interrupted() -> None:
    command = [sys.executable, "-m", "pipelines.simulator.cli", "--port", "0", "--clients", "12",
               "--history-days", "60", "--anchor", "2026-05-01T00:00:00Z"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines[1:])
        assert exports["INSIGHTS_API_URL"] in lines[0]
        assert exports["INSIGHTS_API_CLIENT_ID"] == DEMO_CLIENT_ID
        with httpx.Client(base_url=exports["INSIGHTS_API_URL"]) as http:
            headers = {"Authorization": f"Bearer {get_token(http)}"}
            assert http.get("/entitystore/v1/spaces", headers=headers).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
