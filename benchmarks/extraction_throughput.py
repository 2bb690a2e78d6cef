"""Extraction throughput against the local simulator, next to a download-and-parse baseline.

The simulator runs in its own process (as a real API would), so the figures compare what the
pipeline adds on the client side: validation, de-duplication and durable Parquet landing.
Both sides read the same pages with the same client, page size and concurrency, alternating
rounds, in the same run on the same machine; the result is their ratio, written to
benchmarks/results/extraction_throughput.{json,md}. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.extraction.documents import ExtractionRun, extract_documents
from pipelines.landing.marks import MarkStore
from pipelines.landing.zone import LandingZone, new_batch_id
from pipelines.resources.api_client import ClientSpacesClient, SpaceUnavailable

RESULTS = Path(__file__).parent / "results"
ANCHOR = "2026-06-15T12:00:00Z"


def start_simulator(args) -> tuple[subprocess.Popen, dict]:
    command = [sys.executable, "-m", "pipelines.cli", "simulate", "--port", "0",
               "--clients", str(args.clients), "--history-days", str(args.history_days),
               "--seed", str(args.seed), "--anchor", ANCHOR]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    found: dict = {}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(found) < 3:
        line = process.stdout.readline()
        if not line:
            break
        for name in ("INSIGHTS_API_URL", "INSIGHTS_API_CLIENT_ID", "INSIGHTS_API_CLIENT_SECRET"):
            marker = f"{name}="
            if marker in line:
                found[name] = line.split(marker, 1)[1].split()[0].strip("'\"")
    if len(found) < 3:
        process.kill()
        raise SystemExit("the simulator did not print its URL and credentials")
    return process, found


def client(env: dict, page_size: int) -> ClientSpacesClient:
    return ClientSpacesClient(env["INSIGHTS_API_URL"], env["INSIGHTS_API_CLIENT_ID"],
                              env["INSIGHTS_API_CLIENT_SECRET"], page_size=page_size)


def baseline_round(env: dict, spaces: list[str], page_size: int, concurrency: int) -> int:
    """Download and parse every page; keep nothing."""
    def read(space_id: str) -> int:
        try:
            return sum(len(page) for page in api.iter_document_pages(space_id))
        except SpaceUnavailable:
            return 0

    with client(env, page_size) as api, ThreadPoolExecutor(concurrency) as pool:
        return sum(pool.map(read, spaces))


def pipeline_round(env: dict, spaces: list[str], page_size: int, concurrency: int) -> int:
    """A first (full) extraction into an empty landing zone: validate, de-duplicate, land."""
    with tempfile.TemporaryDirectory() as home, client(env, page_size) as api:
        zone = LandingZone(Path(home) / "landing")
        run = ExtractionRun(zone=zone, marks=MarkStore(Path(home) / "state"),
                            batch_id=new_batch_id(), extracted_at=datetime.now(UTC),
                            lookback=timedelta(minutes=10))
        with zone.writing():  # as the landing asset does
            outcomes = extract_documents(api, run, spaces, concurrency=concurrency,
                                         progress=lambda _line: None)
        return sum(o.fetched for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--history-days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    process, env = start_simulator(args)
    try:
        with client(env, args.page_size) as api:
            spaces = [s["id"] for s in api.list_spaces() if s["link_status"] == "ACTIVE"]
        rounds: dict[str, list[float]] = {"baseline": [], "pipeline": []}
        documents = 0
        for round_number in range(1, args.rounds + 1):
            for name, work in (("baseline", baseline_round), ("pipeline", pipeline_round)):
                started = time.perf_counter()
                documents = work(env, spaces, args.page_size, args.concurrency)
                seconds = time.perf_counter() - started
                rounds[name].append(documents / seconds)
                print(f"round {round_number} {name:<8} {documents:,} documents "
                      f"in {seconds:.2f}s = {documents / seconds:,.0f}/s", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)

    baseline = statistics.median(rounds["baseline"])
    pipeline = statistics.median(rounds["pipeline"])
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "world": {"clients": args.clients, "history_days": args.history_days, "seed": args.seed,
                  "active_spaces": len(spaces), "documents": documents},
        "page_size": args.page_size, "concurrency": args.concurrency, "rounds": args.rounds,
        "baseline_documents_per_second": round(baseline),
        "pipeline_documents_per_second": round(pipeline),
        "ratio_pipeline_to_baseline": round(pipeline / baseline, 3),
        "all_rounds": {k: [round(v) for v in values] for k, values in rounds.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "extraction_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "extraction_throughput.md").write_text(
        "# Extraction throughput\n\n"
        f"Measured {result['measured_at']} on {result['machine']['cpus']} CPUs; "
        f"{documents:,} documents in {len(spaces)} active spaces; median of {args.rounds} "
        "alternating rounds.\n\n"
        "| reader | documents/s |\n|---|---:|\n"
        f"| download and parse only (baseline) | {baseline:,.0f} |\n"
        f"| pipeline: validate, de-duplicate, land | {pipeline:,.0f} |\n"
        f"| ratio | {pipeline / baseline:.2f} |\n"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
