"""Operating time: the cost of refresh N against refresh 10, with and without compaction.

A small simulated firm is served by the simulator (real HTTP) on a clock that moves 30 minutes
between refreshes (new documents, status changes, deletions). Two landing zones follow the same
world refresh for refresh: one never compacted, one compacted every `--compact-every` refreshes
(48: once a night at a 30-minute cadence). What is measured, per mode:

- every refresh: the extraction (the same extraction and landing calls the landing assets make,
  in-process, without Dagster's run overhead), the landing file count, and every 10th refresh a
  probe reading the documents and run-record globs with DuckDB as dbt's sources do;
- at each checkpoint N (10, 100, 500): refresh N-1 and refresh N are complete `insights
  refresh` runs (the Dagster refresh job in-process: extract, land, checks, dbt build, publish)
  so refresh N is an incremental build after one 30-minute change, like in production. Refresh
  N's wall time is the figure; its steps come from the Dagster run's step stats and dbt's own
  `run_results.json`.

A complete run at every one of the 500 refreshes would take hours on a shared 2-CPU machine
(over a minute each), hence complete runs at the checkpoints only; the landing zone, the marks
and the warehouse are those of 500 real consecutive refreshes either way.

    .venv/bin/python benchmarks/operating_time.py [--refreshes 500] [--clients 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

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

RESULTS = Path(__file__).resolve().parent / "results"
DBT_TARGET = Path(__file__).resolve().parents[1] / "dbt_project" / "target"
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
    for entity in ("spaces", "users", "assignments", "documents"):
        now = datetime.now(UTC)
        run = ExtractionRun(zone=zone, marks=marks, batch_id=new_batch_id(now), extracted_at=now,
                            lookback=timedelta(minutes=config.lookback_minutes))
        if entity == "documents":
            active = active_space_ids(current_spaces(zone))
            outcomes = extract_documents(client, run, active, concurrency=config.api_concurrency,
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
    with duckdb.connect() as con:
        for pattern in ("documents/*/*.parquet", "batches/*.parquet", "assignments/*.parquet"):
            con.sql(f"select * from read_parquet('{landing}/{pattern}', "
                    "union_by_name = true, hive_partitioning = false)").fetchall()
    zone = LandingZone(landing)
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


def dbt_timing(since: float) -> dict:
    """dbt's own times, from the run_results.json dagster-dbt left in the project's target/."""
    found = [p for p in DBT_TARGET.glob("*/run_results.json") if p.stat().st_mtime >= since]
    if not found:
        return {"elapsed_time": None, "slowest_nodes": {}}
    results = max(found, key=lambda p: p.stat().st_mtime)
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
            "dbt": dbt_timing(since)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=500)
    parser.add_argument("--checkpoints", default="10,100,500")
    parser.add_argument("--compact-every", type=int, default=48)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--complete", default="9,10,499,500",
                        help="refreshes run as complete `insights refresh` runs")
    parser.add_argument("--output", default="operating_time")
    args = parser.parse_args(argv)
    checkpoints = sorted(int(n) for n in args.checkpoints.split(","))
    complete_at = {int(n) for n in args.complete.split(",") if n}
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
    print(json.dumps(result["summary"], indent=2))
    return 0


def _mean_extraction(rows: dict, upto: int) -> float | None:
    """Mean direct extraction time of the (up to) 8 refreshes before `upto`."""
    times = [rows[n]["extract_seconds"] for n in range(max(2, upto - 9), upto)
             if n in rows and "extract_seconds" in rows[n]]
    return round(sum(times) / len(times), 4) if times else None


def summarize(result: dict, checkpoints: list[int]) -> dict:
    base = checkpoints[0]
    summary = {}
    for mode, data in result["modes"].items():
        complete = data["complete"]
        timed = [n for n in checkpoints if str(n) in complete]
        rows = {r["n"]: r for r in data["refreshes"]}
        probes = {r["n"]: r["glob_probe_seconds"] for r in data["refreshes"]
                  if "glob_probe_seconds" in r}
        summary[mode] = {
            "refresh_seconds": {n: complete[str(n)]["seconds"] for n in timed},
            "ratio_to_refresh_10": {n: round(complete[str(n)]["seconds"]
                                             / complete[str(base)]["seconds"], 3)
                                    for n in timed if str(base) in complete},
            "dbt_elapsed": {n: complete[str(n)]["dbt"]["elapsed_time"] for n in timed},
            "extract_seconds_mean_before": {n: _mean_extraction(rows, n) for n in checkpoints},
            "glob_probe_ratio_to_10": {n: round(probes[n] / probes[base], 3)
                                       for n in checkpoints if n in probes and base in probes},
            "landing_files": {n: rows[n]["landing_files"] for n in checkpoints},
            "max_landing_files": max(r["landing_files"] for r in data["refreshes"]),
            "glob_probe_seconds": {n: probes.get(n) for n in checkpoints},
        }
    return summary


def _fmt(value, pattern: str = "{:.1f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def markdown(result: dict, checkpoints: list[int]) -> str:
    summary = result["summary"]
    later = checkpoints[1:]
    lines = ["# Operating time: refresh N against refresh 10", "",
             f"Run {result['started']} to {result['finished']}; {result['world']['clients']} "
             f"clients, {result['config']['refreshes']} consecutive refreshes 30 simulated "
             f"minutes apart; compaction every {result['config']['compact_every']} refreshes "
             "(`benchmarks/operating_time.py`, method in its docstring).",
             f"Machine load (`/proc/loadavg`) before: `{result['machine_load_before'].strip()}`,"
             f" after: `{result['machine_load_after'].strip()}` (a shared 2-CPU machine: "
             "compare ratios).", "",
             "## Complete refreshes (`insights refresh`, in-process)", "",
             "| mode | " + " | ".join(f"refresh {n} (s)" for n in checkpoints)
             + " | " + " | ".join(f"{n} / {checkpoints[0]}" for n in later) + " |",
             "|---" * (1 + len(checkpoints) + len(later)) + "|"]
    for mode, s in summary.items():
        lines.append(
            f"| {mode} | "
            + " | ".join(_fmt(s["refresh_seconds"].get(n)) for n in checkpoints) + " | "
            + " | ".join(_fmt(s["ratio_to_refresh_10"].get(n), "{:.2f}x") for n in later) + " |")
    lines += ["", "## Landing files and the reads that grow with them", "",
              "Landing reads probe: dbt's source globs read whole with DuckDB plus the checks' "
              "reads of the run records; extraction: the mean of the direct extractions of the "
              "refreshes before N.", "",
              "| mode | " + " | ".join(f"files at {n}" for n in checkpoints) + " | max files | "
              + " | ".join(f"probe {n} (s)" for n in checkpoints) + " | "
              + " | ".join(f"probe {n}/{checkpoints[0]}" for n in later) + " | "
              + " | ".join(f"extract before {n} (s)" for n in checkpoints) + " |",
              "|---" * (2 + 3 * len(checkpoints) + len(later)) + "|"]
    for mode, s in summary.items():
        lines.append(
            f"| {mode} | " + " | ".join(f"{s['landing_files'][n]:,}" for n in checkpoints)
            + f" | {s['max_landing_files']:,} | "
            + " | ".join(_fmt(s["glob_probe_seconds"].get(n), "{:.3f}") for n in checkpoints)
            + " | " + " | ".join(_fmt(s["glob_probe_ratio_to_10"].get(n), "{:.2f}x")
                                 for n in later)
            + " | " + " | ".join(_fmt(s["extract_seconds_mean_before"].get(n), "{:.3f}")
                                 for n in checkpoints) + " |")
    lines += ["", "## Steps of the complete refreshes (seconds)", "",
              "dbt's own `elapsed_time` (run_results.json) next to the Dagster step running it.",
              "", "| mode | refresh | total | dbt elapsed | slowest steps |",
              "|---|---|---|---|---|"]
    for mode, data in result["modes"].items():
        for n, run in sorted(data["complete"].items(), key=lambda kv: int(kv[0])):
            top = sorted(run["steps"].items(), key=lambda kv: -kv[1])[:4]
            lines.append(f"| {mode} | {n} | {run['seconds']:.1f} | "
                         f"{_fmt(run['dbt']['elapsed_time'])} | "
                         + ", ".join(f"{k} {v:.1f}" for k, v in top) + " |")
    compactions = result["modes"]["with_compaction"]["compactions"]
    if compactions:
        lines += ["", f"Compactions: {len(compactions)}, "
                  f"{max(c['seconds'] for c in compactions):.2f} s at most; files before -> "
                  "after: " + ", ".join(f"{c['files_before']}->{c['files_after']}"
                                        for c in compactions[:12]) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
