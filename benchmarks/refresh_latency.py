"""Refresh latency: what a refresh costs when little or nothing changed, and how far behind
the source live mode keeps the serving database.

Runs the real `insights refresh` command (a new process each time, wall time from process
start to exit) against the real simulator over HTTP, in a fresh INSIGHTS_HOME under
benchmarks/results/tmp, and times every progress line as it arrives:

- the test firm (15 clients): a first refresh, then a refresh with nothing changed;
- the demo firm (150 clients, ~101k documents): the first full refresh, a refresh with nothing
  changed, and one after ~1% of its documents changed at the source;
- live mode: `insights refresh --watch` with default settings while the simulated firm
  changes at a steady rate; the lag of each change from the moment it happened at the source
  to the first publish whose as-of is later (an upper bound: a refresh may include a change
  that happened after its as-of but before its extraction read that space).

Per step: start-up (process start to the first step), each step's own time, dbt's own reported
run time next to the dbt step, and the publish. The machine load (/proc/loadavg) is recorded
around every measurement: the machine may be shared, so compare ratios within one run.
Results: benchmarks/results/refresh_latency.json and refresh_latency.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))  # landing_generator, next to this file

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
INSIGHTS = str(Path(sys.executable).parent / "insights")
STEP_LINE = re.compile(r"^\[\s*[\d.]+s\] (\S+): (started|done|FAILED)")
DBT_OWN = re.compile(r"Finished running .* in .*\(([\d.]+)s\)")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Simulator:
    """The simulator in this process: its clock can be moved to make documents change."""

    def __init__(self, clients: int, clock_start: datetime, speed: float = 0.0):
        from pipelines.simulator import SimClock, SimulatorServer, WorldConfig, build_world

        self.world = build_world(WorldConfig(clients=clients))
        self.clock = SimClock(start=clock_start, speed=speed)
        self.server = SimulatorServer(self.world, clock=self.clock).start()

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        return {**os.environ, "INSIGHTS_HOME": str(home), "INSIGHTS_API_URL": self.server.url,
                "INSIGHTS_API_CLIENT_ID": self.server.client_id,
                "INSIGHTS_API_CLIENT_SECRET": self.server.client_secret, **extra}

    def changes_between(self, start: datetime, end: datetime) -> list[datetime]:
        import polars as pl

        visible = self.world.versions.filter(
            (pl.col("visible_at") > start) & (pl.col("visible_at") <= end))
        return sorted(visible["visible_at"].to_list())

    def documents_at(self, moment: datetime) -> int:
        import polars as pl

        return self.world.versions.filter(pl.col("visible_at") <= moment)["document_id"].n_unique()


def timed_refresh(env: dict[str, str], label: str) -> dict:
    """One `insights refresh` process: wall time and the per-step breakdown of its output."""
    before = loadavg()
    started = time.monotonic()
    process = subprocess.Popen([INSIGHTS, "refresh"], env=env, cwd=env["INSIGHTS_HOME"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    steps: dict[str, dict] = {}
    first_step = dbt_own = None
    lines = []
    for line in process.stdout:
        now = time.monotonic() - started
        lines.append(line.rstrip())
        if (match := STEP_LINE.match(line)) is not None:
            step, what = match.groups()
            first_step = first_step if first_step is not None else now
            entry = steps.setdefault(step, {})
            entry["started" if what == "started" else "ended"] = now
        if (match := DBT_OWN.search(line)) is not None:
            dbt_own = float(match.group(1))
    code = process.wait()
    wall = time.monotonic() - started
    breakdown = {step: round(t["ended"] - t["started"], 2) for step, t in steps.items()
                 if "ended" in t and "started" in t}
    dbt_step = breakdown.get("warehouse_models")
    result = {
        "label": label, "exit_code": code, "wall_seconds": round(wall, 2),
        "startup_seconds": round(first_step, 2) if first_step is not None else None,
        "steps_seconds": breakdown,
        "extraction_seconds": round(sum(v for k, v in breakdown.items()
                                        if k.startswith("landing__") and "_" not in k[9:]), 2),
        "checks_seconds": {k: v for k, v in breakdown.items() if "expectations" in k
                           or "volume" in k or "fresh" in k},
        "dbt_own_seconds": dbt_own, "dbt_step_seconds": dbt_step,
        "dbt_step_over_dbt_own": round(dbt_step / dbt_own, 2) if dbt_step and dbt_own else None,
        "publish_seconds": breakdown.get("serving__insights_duckdb"),
        "loadavg_before": before, "loadavg_after": loadavg(),
    }
    if code != 0:
        result["output_tail"] = lines[-30:]
    print(f"{label}: {result['wall_seconds']}s wall (exit {code}), dbt step {dbt_step}s, "
          f"dbt own {dbt_own}s, load {before}", flush=True)
    return result


def firm_runs(clients: int, work: Path, one_percent: bool) -> list[dict]:
    home = work / f"firm-{clients}"
    now = datetime.now(UTC).replace(microsecond=0)
    # The simulated clock starts six hours back so that moving it on changes documents that
    # are not in the future of the real clock (the landed suite bounds received_at by now).
    start = now - timedelta(hours=6)
    sim = Simulator(clients, start)
    try:
        home.mkdir(parents=True)
        env = sim.env(home)
        runs = [timed_refresh(env, f"{clients} clients: first full refresh"),
                timed_refresh(env, f"{clients} clients: no change")]
        if one_percent:
            target = 0.01 * sim.documents_at(start)
            hours = 0.0
            while hours < 6 and len(sim.changes_between(start, start + timedelta(hours=hours))) \
                    < target:
                hours += 0.25
            sim.clock.advance(timedelta(hours=hours))
            changed = len(sim.changes_between(start, start + timedelta(hours=hours)))
            run = timed_refresh(env, f"{clients} clients: after ~1% changed")
            run["changed_versions"] = changed
            run["documents"] = sim.documents_at(start)
            runs.append(run)
        return runs
    finally:
        sim.server.stop()


def live_lag(clients: int, work: Path, minutes: float, speed: float) -> dict:
    """Live mode with default settings while the firm changes `speed` times faster than real."""
    home = work / f"live-{clients}"
    home.mkdir(parents=True)
    real_start = datetime.now(UTC)
    lead = timedelta(minutes=minutes * (speed - 1) + 5)  # simulated time never passes real time
    sim = Simulator(clients, real_start - lead, speed=speed)
    sim_start = sim.clock.now()
    env = sim.env(home)
    env.pop("INSIGHTS_LIVE_INTERVAL_SECONDS", None)  # the default interval
    published: list[tuple[float, datetime]] = []  # (real seconds, data_as_of) when first seen
    serving = home / "serving" / "insights.duckdb"
    stop = threading.Event()

    def poll() -> None:
        seen = None
        while not stop.is_set():
            try:
                with duckdb.connect(str(serving), read_only=True) as con:
                    as_of = con.execute(
                        "select max(data_as_of) from marts.mart_client_overview").fetchone()[0]
            except (duckdb.Error, FileNotFoundError):
                as_of = None
            if as_of is not None and as_of != seen:
                seen = as_of
                published.append((time.time(), as_of.astimezone(UTC)))
            stop.wait(1.0)

    watcher = threading.Thread(target=poll, daemon=True)
    before = loadavg()
    process = subprocess.Popen([INSIGHTS, "refresh", "--watch"], env=env, cwd=home,
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    watcher.start()
    try:
        # The first (full) refresh is not part of live mode: measure from its publish on.
        while not published and process.poll() is None:
            time.sleep(1)
        measured_from = time.time()
        time.sleep(minutes * 60)
        measured_to = time.time()
        time.sleep(150)  # let the last changes reach the serving database
    finally:
        process.terminate()  # live mode lets a running refresh finish, then ends
        try:
            process.wait(180)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stop.set()
        watcher.join()
        sim.server.stop()

    def real_time_of(simulated: datetime) -> float:
        return real_start.timestamp() + (simulated - sim_start).total_seconds() / speed

    changes = [real_time_of(t) for t in sim.changes_between(
        sim_start + timedelta(seconds=(measured_from - real_start.timestamp()) * speed),
        sim_start + timedelta(seconds=(measured_to - real_start.timestamp()) * speed))]
    lags = []
    for happened in changes:
        after = [seen for seen, as_of in published if as_of.timestamp() >= happened]
        if after:
            lags.append(after[0] - happened)
    # inclusive: the p95 of the measured lags, never beyond the largest of them
    quantiles = statistics.quantiles(lags, n=20, method="inclusive") if len(lags) >= 2 else []
    return {
        "clients": clients, "minutes_measured": minutes, "simulated_speed": speed,
        "changes": len(changes), "changes_published": len(lags),
        "publishes": len(published) - 1,
        "lag_p50_seconds": round(statistics.median(lags), 1) if lags else None,
        "lag_p95_seconds": round(quantiles[18], 1) if quantiles else None,
        "lag_max_seconds": round(max(lags), 1) if lags else None,
        "loadavg_before": before, "loadavg_after": loadavg(),
    }


def suite_cost(work: Path, documents: int) -> dict:
    """The landed-documents suite on one run's new rows (~`documents`, every space): once over
    all of them (the check) against once per space file (how it ran before), same rows."""
    import landing_generator

    from pipelines.checks.gx_suites import validate_frame
    from pipelines.checks.suite_checks import CLOCK_SKEW, documents_result
    from pipelines.landing.zone import LandingZone

    home = work / "suite"
    landed = landing_generator.generate(home, documents, progress=lambda _line: None)
    files = LandingZone(home / "landing").batch_frames("documents", landed["batch_id"])
    parameters = {"max_received_at": datetime.now(UTC) + CLOCK_SKEW}
    validate_frame("landed_documents", files[0], parameters)  # GX loaded
    before = loadavg()
    started = time.perf_counter()
    result = documents_result(files, parameters, landed["batch_id"])
    once = time.perf_counter() - started
    started = time.perf_counter()
    for frame in files:
        validate_frame("landed_documents", frame, parameters)
    per_file = time.perf_counter() - started
    rows = result.metadata["rows"].value
    print(f"documents suite: {rows:,} rows once {once:.1f}s, per space file {per_file:.1f}s",
          flush=True)
    return {"rows": rows, "files": len(files), "passed": result.passed,
            "once_seconds": round(once, 2), "per_file_seconds": round(per_file, 2),
            "once_seconds_per_100k_rows": round(once * 100_000 / rows, 2),
            "per_file_over_once": round(per_file / once, 1),
            "loadavg_before": before, "loadavg_after": loadavg()}


def markdown(results: dict) -> str:
    lines = ["# Refresh latency", "",
             f"Measured {results['measured_at']} on {os.cpu_count()} CPUs; load average "
             "before/after each run in the JSON (the machine may be shared).", "",
             "| run | wall (s) | start-up (s) | extraction (s) | documents suite (s) | "
             "dbt own (s) | dbt step (s) | step / own | publish (s) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in results["refreshes"]:
        suite = run["steps_seconds"].get("landing__documents_landed_batch_expectations")
        lines.append(
            f"| {run['label']} | {run['wall_seconds']} | {run['startup_seconds']} | "
            f"{run['extraction_seconds']} | {suite} | {run['dbt_own_seconds']} | "
            f"{run['dbt_step_seconds']} | {run['dbt_step_over_dbt_own']} | "
            f"{run['publish_seconds']} |")
    suite = results.get("documents_suite")
    if suite:
        lines += ["", "## Landed-documents suite", "",
                  "| new rows | space files | once over all rows (s) | s per 100k rows | "
                  "once per file, as before (s) | ratio |", "|---:|---:|---:|---:|---:|---:|",
                  f"| {suite['rows']:,} | {suite['files']} | {suite['once_seconds']} | "
                  f"{suite['once_seconds_per_100k_rows']} | {suite['per_file_seconds']} | "
                  f"{suite['per_file_over_once']}x |"]
    live = results.get("live")
    if live:
        lines += ["", "## Live mode (default settings)", "",
                  "| clients | changes | published | p50 lag (s) | p95 lag (s) | max lag (s) |",
                  "|---:|---:|---:|---:|---:|---:|",
                  f"| {live['clients']} | {live['changes']} | {live['changes_published']} | "
                  f"{live['lag_p50_seconds']} | {live['lag_p95_seconds']} | "
                  f"{live['lag_max_seconds']} |"]
    lines += ["", "Targets: no-change refresh of the 15-client firm <= 15 s; demo firm first "
              "full refresh <= 45 s, after 1% changed <= 20 s; dbt step <= 1.5x dbt's own time; "
              "documents suite <= 3 s per 100k new rows; live-mode lag p95 <= 120 s.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-clients", type=int, default=15)
    parser.add_argument("--demo-clients", type=int, default=150)
    parser.add_argument("--skip-demo", action="store_true", help="only the small firm")
    parser.add_argument("--skip-firms", action="store_true", help="no refresh runs")
    parser.add_argument("--suite-documents", type=int, default=100_000,
                        help="documents of the landed-suite measurement (0 skips it)")
    # ten minutes: six gave 14 to 48 changes at 25x, and the lag needs at least 20
    parser.add_argument("--live-minutes", type=float, default=10.0,
                        help="minutes of live mode measured (0 skips it)")
    parser.add_argument("--live-clients", type=int, default=150)
    parser.add_argument("--output-suffix", default="",
                        help="write refresh_latency_<suffix>.json/.md (partial runs)")
    parser.add_argument("--live-speed", type=float, default=25.0,
                        help="simulated seconds per real second while live mode runs")
    args = parser.parse_args()
    name = f"refresh_latency_{args.output_suffix}" if args.output_suffix else "refresh_latency"
    work = RESULTS / "tmp" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results: dict = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "cpus": os.cpu_count(), "refreshes": []}
    RESULTS.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every phase: a failure later keeps what was measured
        (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text(markdown(results))

    if args.suite_documents:
        results["documents_suite"] = suite_cost(work, args.suite_documents)
        save()
    if not args.skip_firms:
        results["refreshes"] += firm_runs(args.small_clients, work, one_percent=False)
        save()
    if not args.skip_demo and not args.skip_firms:
        results["refreshes"] += firm_runs(args.demo_clients, work, one_percent=True)
        save()
    if args.live_minutes > 0:
        results["live"] = live_lag(args.live_clients, work, args.live_minutes, args.live_speed)
        save()
    shutil.rmtree(work, ignore_errors=True)
    print((RESULTS / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
