"""Operating time: the cost of refresh N against refresh 10, with and without compaction.

A small simulated firm is served by the simulator (real HTTP) on a clock that moves 30 minutes
between refreshes (new documents, status changes, deletions). Two landing zones follow the same
world refresh for refresh: one never compacted, one compacted every `--compact-every` refreshes
(48: once a night at a 30-minute cadence). What is measured, per mode:

- every refresh: the extraction (the same extraction and landing calls the landing assets make,
  in-process, without Dagster's run overhead), the landing file count, and every 10th refresh a
  probe reading the documents and run-record globs with DuckDB as dbt's sources do;
- at each checkpoint N (10, 100, 500): refreshes N-3 to N are complete `insights refresh`
  runs (the Dagster refresh job in-process: extract, land, checks, dbt build, publish), so each
  of N-2, N-1 and N is an incremental build after one 30-minute change, like in production.
  The figure for N is the median wall time of those three (`--samples`: one run alone moved by
  a quarter on this machine); the steps come from the Dagster run's step stats and dbt's own
  `run_results.json`.

A complete run at every one of the 500 refreshes would take hours on a shared 2-CPU machine
(over a minute each), hence complete runs at the checkpoints only; the landing zone, the marks
and the warehouse are those of 500 real consecutive refreshes either way.

    .venv/bin/python benchmarks/operating_time.py [--refreshes 500] [--clients 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.assets.warehouse import dbt_target_path
from pipelines.extraction.documents import ExtractionRun, extract_documents
from pipelines.extraction.lists import active_space_ids, current_spaces, extract_list
from pipelines.landing.compaction import compact_landing
from pipelines.landing.marks import MarkStore
from pipelines.landing.zone import LandingZone, data_files, new_batch_id
from pipelines.refresh import run_refresh
from pipelines.resources.api_client import ClientSpacesClient
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import load_settings
from pipelines.simulator import SimClock, SimulatorServer, WorldConfig, build_world

sys.path.insert(0, str(Path(__file__).resolve().parent))
from operating_time_report import markdown, summarize  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
STEP = timedelta(minutes=30)
MODES = ("without_compaction", "with_compaction")


def landing_files(landing: Path) -> int:
    zone = LandingZone(landing)
    return sum(len(data_files(folder)) for folder in zone.compaction_folders())


def extract_directly(settings: InsightsSettings, client: ClientSpacesClient) -> float:
    """One extraction of every entity, as the landing assets do it, without Dagster."""
    config = settings.get()
    zone, marks = LandingZone(config.landing_dir), MarkStore(config.state_dir)
    started = time.perf_counter()
    with config.writing():  # as the landing assets do: every landing write under the lock
        for entity in ("spaces", "users", "assignments", "documents"):
            now = datetime.now(UTC)
            run = ExtractionRun(zone=zone, marks=marks, batch_id=new_batch_id(now),
                                extracted_at=now,
                                lookback=timedelta(minutes=config.lookback_minutes))
            if entity == "documents":
                active = active_space_ids(current_spaces(zone))
                outcomes = extract_documents(client, run, active,
                                             concurrency=config.api_concurrency,
                                             progress=lambda _line: None)
                totals = {k: sum(getattr(o, k) for o in outcomes)
                          for k in ("fetched", "landed", "new_versions", "quarantined")}
            else:
                outcome = extract_list(client, run, entity)
                totals = {k: getattr(outcome, k)
                          for k in ("fetched", "landed", "new_versions", "quarantined")}
            zone.record_batch(entity, run.batch_id, {"extracted_at": now, "status": "ok",
                                                     **totals, "failures": "[]"})
    return time.perf_counter() - started


def glob_probe(landing: Path) -> float:
    """What a refresh reads of the landing zone besides the new batch: dbt's source globs
    (DuckDB, union by name) and the checks' reads (run records, each space's first batch)."""
    started = time.perf_counter()
    zone = LandingZone(landing)
    globs = zone.reader_globs()
    with duckdb.connect() as con:
        for folder in ("documents", "batches", "assignments"):
            con.sql(f"select * from read_parquet('{globs[folder]}', "
                    "union_by_name = true, hive_partitioning = false)").fetchall()
    for entity in ("spaces", "users", "assignments", "documents"):
        zone.batch_records(entity)
    zone.first_batch_by_space()
    return time.perf_counter() - started


def step_seconds(home: Path) -> dict[str, float]:
    """Wall time of each step of the newest Dagster run under `home`."""
    instance = dg.DagsterInstance.local_temp(tempdir=str(home / "dagster"))
    try:
        run = instance.get_runs(limit=1)[0]
        return {s.step_key: round(s.end_time - s.start_time, 3)
                for s in instance.get_run_step_stats(run.run_id) if s.end_time}
    finally:
        instance.dispose()


def dbt_timing(settings: InsightsSettings, since: float) -> dict:
    """dbt's own times, from the run_results.json the refresh's dbt build left in the home."""
    results = dbt_target_path(settings.get()) / "run_results.json"
    if not results.exists() or results.stat().st_mtime < since:
        return {"elapsed_time": None, "slowest_nodes": {}}
    data = json.loads(results.read_text())
    nodes = sorted(data["results"], key=lambda r: -r["execution_time"])
    return {"elapsed_time": round(data["elapsed_time"], 3),
            "slowest_nodes": {r["unique_id"]: round(r["execution_time"], 3) for r in nodes[:5]}}


def complete_refresh(settings: InsightsSettings, api: ClientSpacesApi) -> dict:
    since = time.time()
    outcome = run_refresh(settings, api, stream=open("/dev/null", "w"))  # noqa: SIM115
    if not outcome.ok:
        raise SystemExit(f"refresh failed: {outcome.failed_steps} {outcome.failed_checks}")
    home = settings.get().home
    return {"seconds": round(outcome.seconds, 3), "steps": step_seconds(home),
            "dbt": dbt_timing(settings, since)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=500)
    parser.add_argument("--checkpoints", default="10,100,500")
    parser.add_argument("--compact-every", type=int, default=48)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--samples", type=int, default=3,
                        help="complete refreshes measured at each checkpoint (after one more)")
    parser.add_argument("--output", default="operating_time")
    args = parser.parse_args(argv)
    checkpoints = sorted(int(n) for n in args.checkpoints.split(","))
    complete_at = {n - back for n in checkpoints for back in range(args.samples + 1)
                   if n - back >= 1}
    # The world starts 11 days back, so 500 half-hours of changes end about now.
    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    anchor -= timedelta(days=11)
    world = build_world(WorldConfig(seed=5, clients=args.clients, history_days=120,
                                    anchor=anchor))
    clock = SimClock(start=anchor)
    server = SimulatorServer(world, clock=clock)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="operating-time-"))
    result: dict = {"config": vars(args), "machine_load_before": Path("/proc/loadavg").read_text(),
                    "started": datetime.now(UTC).isoformat(timespec="seconds"),
                    "world": {"clients": args.clients, "versions": world.versions.height},
                    "modes": {m: {"refreshes": [], "complete": {}, "compactions": []}
                              for m in MODES}}
    settings, clients = {}, {}
    for mode in MODES:
        settings[mode] = InsightsSettings(load_settings({
            "INSIGHTS_HOME": str(work / mode), "INSIGHTS_API_URL": server.url,
            "INSIGHTS_API_CLIENT_ID": server.client_id,
            "INSIGHTS_API_CLIENT_SECRET": server.client_secret,
            "INSIGHTS_API_CONCURRENCY": "2",
        }))
        clients[mode] = ClientSpacesClient(server.url, server.client_id, server.client_secret,
                                           page_size=1000)
    try:
        for number in range(1, args.refreshes + 1):
            if number > 1:
                clock.advance(STEP)
            for mode in MODES:
                config = settings[mode].get()
                row: dict = {"n": number}
                if number in complete_at:
                    row["complete"] = complete_refresh(settings[mode],
                                                       ClientSpacesApi(settings[mode]))
                    result["modes"][mode]["complete"][str(number)] = row["complete"]
                else:
                    row["extract_seconds"] = round(extract_directly(settings[mode],
                                                                    clients[mode]), 3)
                if mode == "with_compaction" and number % args.compact_every == 0:
                    started = time.perf_counter()
                    report = compact_landing(config.landing_dir, config.state_dir)
                    result["modes"][mode]["compactions"].append({
                        "after_refresh": number, "seconds": round(time.perf_counter() - started, 3),
                        "files_before": report.files_before, "files_after": report.files_after})
                row["landing_files"] = landing_files(config.landing_dir)
                if number % 10 == 0:
                    row["glob_probe_seconds"] = round(glob_probe(config.landing_dir), 4)
                result["modes"][mode]["refreshes"].append(row)
            if number in complete_at or number % 50 == 0:
                RESULTS.mkdir(exist_ok=True)
                (RESULTS / f"{args.output}.partial.json").write_text(json.dumps(result, indent=2))
            if number % 10 == 0 or number in complete_at:
                line = " ".join(f"{m}: {result['modes'][m]['refreshes'][-1]['landing_files']} "
                                "files" for m in MODES)
                print(f"refresh {number}/{args.refreshes}: {line}", flush=True)
    finally:
        for client in clients.values():
            client.close()
        server.stop()
    result["machine_load_after"] = Path("/proc/loadavg").read_text()
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["summary"] = summarize(result, checkpoints)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(result, indent=2))
    (RESULTS / f"{args.output}.md").write_text(markdown(result, checkpoints))
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result["summary"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
