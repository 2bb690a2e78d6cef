"""Scale benchmark: full build, incremental refresh, memory, dashboard latency, extraction.

One run at one size (`--documents`), all figures measured in the same run on the same
machine, so the ratios hold even though the machine is shared:

1. generate  a simulated firm straight into the landing zone (benchmarks/landing_generator.py)
2. full      dbt seed + dbt run (models) on a fresh warehouse file, then dbt test, then the
             publish to the serving file; peak RSS of the process tree of each step
3. hand      benchmarks/handwritten.sql: both fct_client_category_daily and
             mart_client_overview straight from the landing Parquet, in one DuckDB
             connection (run before and after the full build; the mean is used), checked
             row for row against the marts
4. dashboard latency (p50, p95) of the Insights dashboard queries on the serving file
             (the ```sql blocks of docs/metabase.md, else a built-in representative set)
5. incr      the next extraction batch (1% of the documents change), dbt run + test +
             publish on the same warehouse
6. extract   extraction throughput against the simulator next to the download-and-parse
             baseline (benchmarks/extraction_throughput.py), on a world of 1/10 the size

Writes benchmarks/results/scale_<n>.json and regenerates benchmarks/results/scale.md from
every scale_*.json present. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import landing_generator  # noqa: E402
from pipelines.landing.zone import LandingZone  # noqa: E402
from pipelines.serving.duckdb_file import copy_marts_as_tables  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DBT_PROJECT = ROOT / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
GIB = 1024 ** 3
# `dbt build` of the seeds and models only (one dbt process, as a refresh runs it); the tests
# run next in their own `dbt test`, so both figures come from one pass.
MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
TARGETS = {
    # the targets of the platform-scale work (goals: 3x and 0.05)
    "full_build_over_handwritten": 5.0,
    "incremental_over_full": 0.10,
    "dashboard_p95_ms": 100.0,
    "peak_memory_gib": 6.0,
    "extraction_ratio": 0.5,
}


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- process-tree memory --------------------------------------------------------------------
class PeakRss:
    """Samples the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                total = 0
                for process in tree:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        total += process.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(command: list[str], env: dict, log_file: Path) -> dict:
    """Run a command; its wall time and the peak RSS of its process tree."""
    started = time.perf_counter()
    with open(log_file, "a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=DBT_PROJECT)
        with PeakRss(process.pid) as sampler:
            code = process.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        # the work folder is removed unless --keep: the cause must reach the console
        tail = log_file.read_text(errors="replace").splitlines()[-40:]
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n"
                         + "\n".join(tail) + f"\n(whole output: {log_file})")
    return {"seconds": round(seconds, 2), "peak_rss_bytes": sampler.peak}


# --- dbt ------------------------------------------------------------------------------------
class Dbt:
    def __init__(self, work: Path, warehouse: Path, landing: Path):
        self.work, self.warehouse, self.landing = work, warehouse, landing
        self.env = {**os.environ, "INSIGHTS_WAREHOUSE_PATH": str(warehouse),
                    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        self.log_file = work / "dbt.log"

    def __call__(self, verb: str, as_of: str, *extra: str) -> dict:
        variables = {"landing_dir": str(self.landing), "as_of": as_of}
        command = [DBT, "--no-use-colors", verb, "--project-dir", str(DBT_PROJECT),
                   "--profiles-dir", str(DBT_PROJECT), "--target-path", str(self.work / "target"),
                   "--log-path", str(self.work / "logs"), "--vars", json.dumps(variables), *extra]
        measured = run_measured(command, self.env, self.log_file)
        measured["nodes"] = self.node_timings()
        log(f"  dbt {verb}: {measured['seconds']:.1f}s, peak RSS "
            f"{measured['peak_rss_bytes'] / GIB:.2f} GiB")
        return measured

    def node_timings(self) -> dict[str, float]:
        path = self.work / "target" / "run_results.json"
        if not path.exists():
            return {}
        results = json.loads(path.read_text())["results"]
        timings = {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 2)
                   for r in results}
        return dict(sorted(timings.items(), key=lambda item: -item[1]))


def publish(warehouse: Path, serving: Path, log_file: Path) -> dict:
    code = ("import sys; from pathlib import Path; "
            "from pipelines.serving.duckdb_file import publish_duckdb; "
            "print(publish_duckdb(Path(sys.argv[1]), Path(sys.argv[2])))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    measured = run_measured([sys.executable, "-c", code, str(warehouse), str(serving)], env,
                            log_file)
    log(f"  publish: {measured['seconds']:.1f}s, peak RSS "
        f"{measured['peak_rss_bytes'] / GIB:.2f} GiB")
    return measured


def project_vars() -> dict:
    return yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"]


# --- the hand-written query -----------------------------------------------------------------
def handwritten_sql(landing: Path, as_of: str) -> str:
    variables = project_vars()
    sql = (ROOT / "benchmarks" / "handwritten.sql").read_text()
    for key, value in (("{landing}", str(landing)), ("{seeds}", str(DBT_PROJECT / "seeds")),
                       ("{as_of}", as_of), ("{timezone}", variables["timezone"]),
                       ("{url_template}", variables["documents_url_template"])):
        sql = sql.replace(key, value)
    return sql


def run_handwritten(landing: Path, as_of: str, warehouse: Path | None = None) -> dict:
    """Time the script on a fresh in-memory DuckDB (same threads and zone as the profile);
    with a warehouse, also compare its two results with the marts row for row."""
    sql = handwritten_sql(landing, as_of)
    con = duckdb.connect(config={"threads": 2})
    con.execute("set TimeZone = 'UTC'")
    started = time.perf_counter()
    con.execute(sql)
    seconds = time.perf_counter() - started
    result: dict = {"seconds": round(seconds, 2)}
    if warehouse is not None:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        checks = {}
        for mart, mine in (("fct_client_category_daily", "hw_category_daily"),
                           ("mart_client_overview", "hw_client_overview")):
            columns = [row[0] for row in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'wh' "
                "and table_schema = 'marts' and table_name = ? order by ordinal_position",
                [mart]).fetchall()]
            listed = ", ".join(columns)
            only_mart = con.execute(f"select count(*) from (select {listed} from wh.marts.{mart} "
                                    f"except all select {listed} from {mine})").fetchone()[0]
            only_mine = con.execute(
                f"select count(*) from (select {listed} from {mine} "
                f"except all select {listed} from wh.marts.{mart})").fetchone()[0]
            rows = con.execute(f"select count(*) from wh.marts.{mart}").fetchone()[0]
            checks[mart] = {"rows": rows, "only_in_mart": only_mart,
                            "only_in_handwritten": only_mine}
        result["equals_marts"] = all(c["only_in_mart"] == 0 and c["only_in_handwritten"] == 0
                                     for c in checks.values())
        result["check"] = checks
    con.close()
    return result


# --- dashboard queries ----------------------------------------------------------------------
FALLBACK_QUERIES = {
    "client_kpis_for_date_range": """
        select sum(documents_total) as documents_total,
               sum(documents_processed) as processed,
               sum(documents_accountant_action_needed) as accountant_action_needed,
               sum(documents_client_action_needed) as client_action_needed
        from marts.fct_client_category_daily
        where client_id = {{client_id}} and activity_date between {{date_from}} and {{date_to}}
    """,
    "category_breakdown_with_links": """
        select category, sum(documents_total) as documents_total,
               sum(documents_processed) as processed,
               sum(documents_accountant_action_needed) as accountant_action_needed,
               sum(documents_client_action_needed) as client_action_needed,
               any_value(action_url) as action_url
        from marts.fct_client_category_daily
        where client_id = {{client_id}} and activity_date between {{date_from}} and {{date_to}}
        group by category order by category
    """,
    "clients_needing_attention": """
        select priority_rank, client_name, documents_accountant_action_needed,
               oldest_open_accountant_action_days, days_to_filing_deadline, priority_score
        from marts.mart_client_overview
        order by priority_rank limit 20
    """,
    "vat_period_progress": """
        select vat_period_start, vat_period_end, filing_deadline, documents_total,
               documents_processed, pct_processed, period_state
        from marts.mart_vat_period_progress
        where client_id = {{client_id}} order by vat_period_start desc limit 8
    """,
    "backlog_over_time": """
        select calendar_date, sum(open_accountant_action_eod) as open_accountant_action,
               sum(open_client_action_eod) as open_client_action
        from marts.fct_client_backlog_daily
        where client_id = {{client_id}} and calendar_date between {{date_from}} and {{date_to}}
        group by calendar_date order by calendar_date
    """,
}


def metabase_queries(path: Path) -> dict[str, str]:
    """The ```sql blocks of the Metabase guide, named after the nearest heading above."""
    if not path.exists():
        return {}
    queries, heading = {}, "query"
    for match in re.finditer(r"^(#+ [^\n]*)$|^```sql\s*\n(.*?)^```", path.read_text(),
                             re.MULTILINE | re.DOTALL):
        if match.group(1):
            heading = re.sub(r"[^a-z0-9]+", "_", match.group(1).lstrip("# ").lower()).strip("_")
        elif match.group(2):
            name = heading
            number = 2
            while name in queries:
                name, number = f"{heading}_{number}", number + 1
            queries[name] = match.group(2)
    return queries


def fill_parameters(sql: str, values: dict[str, str]) -> str | None:
    """Metabase template -> runnable SQL: known {{params}} substituted; optional [[ ]] clauses
    kept when all their params are known, dropped otherwise. None if a required param is
    unknown."""
    def optional(match: re.Match) -> str:
        names = re.findall(r"\{\{\s*(\w+)\s*\}\}", match.group(1))
        return match.group(1) if all(n in values for n in names) else ""

    sql = re.sub(r"\[\[(.*?)\]\]", optional, sql, flags=re.DOTALL)
    if any(n not in values for n in re.findall(r"\{\{\s*(\w+)\s*\}\}", sql)):
        return None
    sql = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values[m.group(1)], sql)
    return sql.strip().rstrip(";")


def dashboard_latency(serving: Path, repetitions: int, guide: Path) -> dict:
    with duckdb.connect(str(serving), read_only=True) as con:
        # a typical client: the median by document count; a 3-month range ending at as-of
        client_id, as_of = con.execute(
            "select client_id, data_as_of from marts.mart_client_overview "
            "order by documents_total, client_id limit 1 offset "
            "(select count(*) // 2 from marts.mart_client_overview)").fetchone()
    as_of_date = (as_of.astimezone(UTC).date() if isinstance(as_of, datetime)
                  else date.fromisoformat(str(as_of)[:10]))
    values = {"client_id": f"'{client_id}'",
              "date_from": f"date '{as_of_date - timedelta(days=91)}'",
              "date_to": f"date '{as_of_date}'"}
    values.update({"client": values["client_id"], "start_date": values["date_from"],
                   "end_date": values["date_to"]})
    found = metabase_queries(guide)
    source = str(guide.relative_to(ROOT)) if found else "built-in representative queries"
    templates = found or FALLBACK_QUERIES
    results, skipped = {}, []
    # a fresh read-only connection per query, as a BI tool's pooled connection would be warm:
    # one connection for all, one warm-up run each, then `repetitions` timed runs
    with duckdb.connect(str(serving), read_only=True) as con:
        for name, template in templates.items():
            sql = fill_parameters(template, values)
            if sql is None:
                skipped.append(name)
                continue
            con.execute(sql).fetchall()
            times = []
            for _ in range(repetitions):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results[name] = {"p50_ms": round(statistics.median(times), 2),
                             "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
                             "max_ms": round(times[-1], 2)}
    worst = max((r["p95_ms"] for r in results.values()), default=None)
    return {"source": source, "client_id": client_id, "date_range": [
        str(as_of_date - timedelta(days=91)), str(as_of_date)], "repetitions": repetitions,
        "queries": results, "skipped": skipped, "worst_p95_ms": worst}


# --- extraction -----------------------------------------------------------------------------
def extraction(documents: int, rounds: int, seed: int) -> dict:
    """benchmarks/extraction_throughput.py's two readers, alternating rounds, median."""
    from benchmarks import extraction_throughput as bench

    clients = landing_generator.clients_for(documents)
    args = argparse.Namespace(clients=clients, history_days=730, seed=seed)
    process, env = bench.start_simulator(args)
    try:
        with bench.client(env, 1000) as api:
            spaces = [s["id"] for s in api.list_spaces() if s["link_status"] == "ACTIVE"]
        rates: dict[str, list[float]] = {"baseline": [], "pipeline": []}
        count = 0
        for number in range(1, rounds + 1):
            for name, work in (("baseline", bench.baseline_round),
                               ("pipeline", bench.pipeline_round)):
                started = time.perf_counter()
                count = work(env, spaces, 1000, 4)
                seconds = time.perf_counter() - started
                rates[name].append(count / seconds)
                log(f"  extraction round {number} {name}: {count:,} documents in {seconds:.1f}s")
    finally:
        process.terminate()
        process.wait(timeout=60)
    baseline, pipeline = statistics.median(rates["baseline"]), statistics.median(rates["pipeline"])
    return {"clients": clients, "documents": count, "rounds": rounds,
            "baseline_documents_per_second": round(baseline),
            "pipeline_documents_per_second": round(pipeline),
            "ratio": round(pipeline / baseline, 3)}


# --- the run --------------------------------------------------------------------------------
def run(documents: int, seed: int, repetitions: int, keep: bool, extraction_rounds: int,
        skip_extraction: bool) -> dict:
    label = label_for(documents)
    work = RESULTS / "tmp" / f"scale_{label}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing, warehouse = work / "landing", work / "warehouse.duckdb"
    serving = work / "serving" / "insights.duckdb"
    as_of = landing_generator.ANCHOR.strftime("%Y-%m-%dT%H:%M:%SZ")
    result: dict = {"documents_requested": documents, "label": label,
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "memory_gib": round(
                        psutil.virtual_memory().total / GIB, 1),
                        "python": platform.python_version(), "duckdb": duckdb.__version__},
                    "targets": TARGETS}
    try:
        log(f"generate: ~{documents:,} documents into {landing}")
        result["generate"] = landing_generator.generate(work, documents, seed, progress=log)
        log(f"generate: {result['generate']['documents']:,} documents, "
            f"{result['generate']['versions']:,} versions, "
            f"{result['generate']['landing_bytes'] / GIB:.2f} GiB in "
            f"{result['generate']['seconds']:.0f}s")

        log("hand-written query (before the build)")
        hand_before = run_handwritten(landing, as_of)
        log(f"  hand-written: {hand_before['seconds']:.1f}s")

        log("full build (fresh warehouse)")
        dbt = Dbt(work, warehouse, landing)
        full = {"build": dbt("build", as_of, *MODELS_ONLY)}
        full["test"] = dbt("test", as_of)
        full["publish"] = publish(warehouse, serving, dbt.log_file)
        result["full"] = full

        log("hand-written query (after the build), compared with the marts")
        hand_after = run_handwritten(landing, as_of, warehouse)
        log(f"  hand-written: {hand_after['seconds']:.1f}s, equals marts: "
            f"{hand_after['equals_marts']}")
        result["handwritten"] = {
            "seconds_before_build": hand_before["seconds"],
            "seconds_after_build": hand_after["seconds"],
            "seconds": round((hand_before["seconds"] + hand_after["seconds"]) / 2, 2),
            "equals_marts": hand_after["equals_marts"], "check": hand_after["check"],
        }

        log(f"dashboard queries ({repetitions} runs each)")
        result["dashboard"] = dashboard_latency(serving, repetitions, ROOT / "docs" / "metabase.md")
        log(f"  worst p95 {result['dashboard']['worst_p95_ms']} ms "
            f"({result['dashboard']['source']})")
        # the same queries on the same marts as sorted tables in one DuckDB file (how the
        # serving file was built before its views over Parquet generations): the cost of the
        # views, measured in the same run
        tables = copy_marts_as_tables(serving, work / "serving_tables.duckdb", sorted_rows=True)
        result["dashboard_tables"] = dashboard_latency(tables, repetitions,
                                                       ROOT / "docs" / "metabase.md")
        log(f"  the same on tables: worst p95 {result['dashboard_tables']['worst_p95_ms']} ms")

        log("incremental: land the next batch (1% of documents change)")
        batch = landing_generator.land_next_batch(work, documents, 0.01, seed)
        log(f"  batch {batch['batch_id']}: {batch['versions']:,} versions, "
            f"{batch['documents_changed']:,} documents ({batch['share_changed']:.2%})")
        incr = {"batch": batch, "build": dbt("build", batch["as_of"], *MODELS_ONLY)}
        incr["test"] = dbt("test", batch["as_of"])
        incr["publish"] = publish(warehouse, serving, dbt.log_file)
        result["incremental"] = incr
        result["warehouse_bytes"] = warehouse.stat().st_size
        result["serving_bytes"] = sum(p.stat().st_size for p in serving.parent.rglob("*")
                                      if p.is_file())

        if not skip_extraction:
            log(f"extraction throughput (simulator world of ~{documents // 10:,} documents)")
            result["extraction"] = extraction(documents // 10, extraction_rounds, seed)
            log(f"  ratio {result['extraction']['ratio']}")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    result["summary"] = summarize(result)
    return result


def _seconds(phase: dict | None, *steps: str) -> float | None:
    if not phase or any(step not in phase for step in steps):
        return None
    return round(sum(phase[step]["seconds"] for step in steps), 2)


def _ratio(numerator, denominator, digits: int = 2):
    return None if numerator is None or not denominator else round(numerator / denominator, digits)


def summarize(r: dict) -> dict:
    """The headline figures; a phase that did not run (a partial run) gives nulls."""
    full, incr = r.get("full"), r.get("incremental")
    hand = r.get("handwritten", {}).get("seconds")
    full_models = _seconds(full, "build")
    full_refresh = _seconds(full, "build", "test", "publish")
    incr_models = _seconds(incr, "build")
    incr_refresh = _seconds(incr, "build", "test", "publish")
    steps = [step for phase in (full, incr) if phase
             for name, step in phase.items() if name != "batch"]
    dashboard = r.get("dashboard", {})
    summary = {
        "documents": r["generate"]["documents"],
        "versions": r["generate"]["versions"],
        "generate_seconds": r["generate"]["seconds"],
        "full_build_seconds": full_models,
        "full_tests_seconds": _seconds(full, "test"),
        "full_publish_seconds": _seconds(full, "publish"),
        "full_refresh_seconds": full_refresh,
        "handwritten_seconds": hand,
        "handwritten_equals_marts": r.get("handwritten", {}).get("equals_marts"),
        "full_build_over_handwritten": _ratio(full_models, hand),
        "full_refresh_over_handwritten": _ratio(full_refresh, hand),
        "incremental_build_seconds": incr_models,
        "incremental_refresh_seconds": incr_refresh,
        "incremental_over_full": _ratio(incr_models, full_models, 3),
        "incremental_refresh_over_full_refresh": _ratio(incr_refresh, full_refresh, 3),
        "peak_memory_gib": (round(max(s["peak_rss_bytes"] for s in steps) / GIB, 2)
                            if steps else None),
        "dashboard_p50_ms": max((q["p50_ms"] for q in dashboard.get("queries", {}).values()),
                                default=None),
        "dashboard_p95_ms": dashboard.get("worst_p95_ms"),
        "dashboard_tables_p95_ms": r.get("dashboard_tables", {}).get("worst_p95_ms"),
    }
    if "extraction" in r:
        summary["extraction_ratio"] = r["extraction"]["ratio"]
        summary["extraction_pipeline_documents_per_second"] = \
            r["extraction"]["pipeline_documents_per_second"]
    return summary


def from_log(log_file: Path, work: Path, documents: int, repetitions: int) -> dict:
    """The figures of a run stopped before its end (e.g. by a deadline), from its progress
    log, its dbt log (per-model timings) and, when still present, its serving file."""
    number = r"([0-9][0-9,.]*)"
    result: dict = {"documents_requested": documents, "label": label_for(documents),
                    "measured_at": None, "targets": TARGETS,
                    "machine": {"cpus": os.cpu_count(), "memory_gib": round(
                        psutil.virtual_memory().total / GIB, 1),
                        "python": platform.python_version(), "duckdb": duckdb.__version__}}
    phase, hands, rates, extracted = None, [], {}, 0
    value = lambda text: float(text.replace(",", ""))  # noqa: E731
    for line in log_file.read_text().splitlines():
        stamp = re.match(r"\[(\d\d:\d\d:\d\d)\]", line)
        if stamp and result["measured_at"] is None:
            result["measured_at"] = f"{datetime.now(UTC):%Y-%m-%d}T{stamp.group(1)}+00:00"
        if m := re.search(rf"generate: {number} documents, {number} versions, {number} GiB "
                          rf"in {number}s", line):
            files = (len(LandingZone(work / "landing").entity_files("documents"))
                     if (work / "landing").exists() else None)
            result["generate"] = {
                "clients": landing_generator.clients_for(documents),
                "documents": int(value(m.group(1))), "versions": int(value(m.group(2))),
                "landing_bytes": int(value(m.group(3)) * GIB), "seconds": value(m.group(4)),
                "files": files}
        elif "full build (fresh warehouse)" in line:
            phase = result.setdefault("full", {})
        elif "incremental: land the next batch" in line:
            phase = result.setdefault("incremental", {})
        elif m := re.search(rf"hand-written: {number}s(, equals marts: (\w+))?", line):
            hands.append(value(m.group(1)))
            if m.group(3):
                result["handwritten_equals"] = m.group(3) == "True"
        elif m := re.search(rf"(dbt build|dbt test|publish): {number}s, peak RSS {number} GiB",
                            line):
            step = {"dbt build": "build", "dbt test": "test"}.get(m.group(1), m.group(1))
            phase[step] = {"seconds": value(m.group(2)),
                           "peak_rss_bytes": int(value(m.group(3)) * GIB)}
        elif m := re.search(rf"extraction round \d+ (baseline|pipeline): {number} documents "
                            rf"in {number}s", line):
            rates.setdefault(m.group(1), []).append(value(m.group(2)) / value(m.group(3)))
            extracted = int(value(m.group(2)))
        elif m := re.search(rf"batch (\S+): {number} versions, {number} documents", line):
            phase["batch"] = {"batch_id": m.group(1), "versions": int(value(m.group(2))),
                              "documents_changed": int(value(m.group(3)))}
    if hands:
        result["handwritten"] = {"seconds_before_build": hands[0],
                                 "seconds": round(statistics.mean(hands), 2),
                                 "equals_marts": result.pop("handwritten_equals", None)}
        if len(hands) > 1:
            result["handwritten"]["seconds_after_build"] = hands[1]
    if len(rates.get("pipeline", [])) and len(rates.get("baseline", [])):
        baseline, pipeline = (statistics.median(rates[k]) for k in ("baseline", "pipeline"))
        result["extraction"] = {
            "clients": landing_generator.clients_for(documents // 10), "documents": extracted,
            "rounds": len(rates["pipeline"]), "baseline_documents_per_second": round(baseline),
            "pipeline_documents_per_second": round(pipeline),
            "ratio": round(pipeline / baseline, 3)}
    # per-model timings of each dbt build, from the dbt log
    dbt_log = work / "dbt.log"
    if dbt_log.exists():
        builds = [part for part in dbt_log.read_text().split("\n$ ")
                  if part.split("\n", 1)[0].split(" --project-dir")[0].endswith(" build")]
        for name, part in zip(("full", "incremental"), builds, strict=False):
            nodes = {m.group(1).split(".")[-1]: float(m.group(2)) for m in re.finditer(
                r"OK created sql \S+ model (\S+) .*?OK in ([0-9.]+)s", part)}
            if name in result and "build" in result[name]:
                result[name]["build"]["nodes"] = dict(sorted(nodes.items(),
                                                             key=lambda item: -item[1]))
    serving = work / "serving" / "insights.duckdb"
    if serving.exists():
        result["dashboard"] = dashboard_latency(serving, repetitions, ROOT / "docs" / "metabase.md")
    missing = [name for name in ("full", "handwritten", "dashboard", "incremental", "extraction")
               if name not in result or (name in ("full", "incremental")
                                         and set(result[name]) - {"batch"} != {"build", "test",
                                                                               "publish"})]
    result["partial"] = ("stopped at the deadline; phases not (completely) measured: "
                         + ", ".join(missing)) if missing else None
    result["summary"] = summarize(result)
    return result


def label_for(documents: int) -> str:
    if documents % 1_000_000 == 0:
        return f"{documents // 1_000_000}m"
    return f"{documents // 1000}k"


# --- the Markdown table ---------------------------------------------------------------------
ROWS = [
    # (label, summary key, unit, target key, lower is better)
    ("documents (versions)", None, "", None),
    ("full build: dbt build of seeds + models, fresh warehouse (s)", "full_build_seconds", "s",
     None),
    ("dbt test after the full build (s)", "full_tests_seconds", "s", None),
    ("publish to the serving file (s)", "full_publish_seconds", "s", None),
    ("full refresh: build + tests + publish (s)", "full_refresh_seconds", "s", None),
    ("hand-written DuckDB query, both marts (s)", "handwritten_seconds", "s", None),
    ("full build / hand-written", "full_build_over_handwritten", "x",
     "full_build_over_handwritten"),
    ("full refresh / hand-written", "full_refresh_over_handwritten", "x", None),
    ("incremental build after 1% change (s)", "incremental_build_seconds", "s", None),
    ("incremental build / full build", "incremental_over_full", "", "incremental_over_full"),
    ("incremental refresh (build + tests + publish) (s)", "incremental_refresh_seconds", "s",
     None),
    ("incremental refresh / full refresh", "incremental_refresh_over_full_refresh", "",
     "incremental_over_full"),
    ("peak memory of the refresh, process tree (GiB)", "peak_memory_gib", "GiB",
     "peak_memory_gib"),
    ("dashboard queries, worst p50 (ms)", "dashboard_p50_ms", "ms", None),
    ("dashboard queries, worst p95 (ms)", "dashboard_p95_ms", "ms", "dashboard_p95_ms"),
    ("the same queries on sorted tables, worst p95 (ms)", "dashboard_tables_p95_ms", "ms", None),
    ("extraction: pipeline / download-and-parse", "extraction_ratio", "", "extraction_ratio"),
    ("extraction: pipeline documents/s", "extraction_pipeline_documents_per_second", "/s", None),
]
TARGET_TEXT = {"full_build_over_handwritten": "≤ 5x at 10M (goal 3x)",
               "incremental_over_full": "≤ 0.10 at 10M (goal 0.05)",
               "peak_memory_gib": "< 6 GiB at 10M", "dashboard_p95_ms": "< 100 ms at 10M",
               "extraction_ratio": "≥ 0.5"}
# Figures that should grow about linearly (10x from 1M to 10M); ratios should stay flat.
GROWTH = ["full_build_seconds", "full_tests_seconds", "full_publish_seconds",
          "handwritten_seconds", "incremental_build_seconds", "peak_memory_gib",
          "dashboard_p95_ms", "extraction_pipeline_documents_per_second"]


def passes(key: str, value) -> bool | None:
    if value is None:
        return None
    target = TARGETS[key]
    if key == "extraction_ratio":
        return value >= target
    if key in ("full_build_over_handwritten", "incremental_over_full"):
        return value <= target
    return value < target


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if abs(value) < 1:
            return f"{value:,.3f}"
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


EQUALS = {True: "yes", False: "NO"}


def render_markdown() -> str:
    runs = []
    for path in sorted(RESULTS.glob("scale_*.json")):
        data = json.loads(path.read_text())
        runs.append(data)
    runs.sort(key=lambda d: d["summary"]["documents"])
    if not runs:
        return ""
    labels = [d["label"].upper() for d in runs]
    lines = ["# Scale benchmark", "",
             "Produced by `benchmarks/scale.py` (`make bench-scale`): a simulated firm generated "
             "straight into the landing zone, then on the same machine in the same run: the full "
             "dbt build on a fresh warehouse, the hand-written DuckDB query of the two headline "
             "marts (the practical limit), the publish, the Insights dashboard queries on the "
             "serving file, an incremental refresh after 1% of the documents changed, and "
             "extraction against the simulator. The machine is shared with other work, so "
             "the ratios (measured in the same run) are the figures to compare; seconds are "
             "indicative.", ""]
    for d in runs:
        m = d["machine"]
        lines.append(f"- {d['label'].upper()}: measured {d['measured_at']} on {m['cpus']} CPUs, "
                     f"{m['memory_gib']} GiB, DuckDB {m['duckdb']}; "
                     f"{d['generate']['clients']:,} clients, landing "
                     f"{d['generate']['landing_bytes'] / GIB:.2f} GiB in "
                     f"{fmt(d['generate'].get('files'))} document files, generated in "
                     f"{d['generate']['seconds']:.0f}s; hand-written result equals the marts: "
                     f"{EQUALS.get(d['summary']['handwritten_equals_marts'], '–')}"
                     + (f". **Partial run**: {d['partial']}" if d.get("partial") else ""))
    lines += ["", "| figure | " + " | ".join(labels) + " | target | "
              + ("10M / 1M | " if len(runs) > 1 else "") + "result |",
              "|---|" + "---:|" * len(runs) + "---|" + ("---:|" if len(runs) > 1 else "")
              + "---|"]
    for title, key, _unit, target in ROWS:
        if key is None:
            cells = [f"{d['summary']['documents']:,} ({d['summary']['versions']:,})" for d in runs]
            growth = (f"{runs[-1]['summary']['documents'] / runs[0]['summary']['documents']:.1f}"
                      if len(runs) > 1 else None)
            lines.append(f"| {title} | " + " | ".join(cells) + " |  | "
                         + (f"{growth} | " if len(runs) > 1 else "") + " |")
            continue
        values = [d["summary"].get(key) for d in runs]
        growth = ""
        if len(runs) > 1 and key in GROWTH and values[0] and values[-1]:
            growth = f"{values[-1] / values[0]:.1f}"
        elif len(runs) > 1 and values[0] and values[-1]:
            growth = f"{values[-1] / values[0]:.2f}"
        verdict = ""
        if target:
            last = values[-1]
            ok = passes(target, last)
            verdict = "–" if ok is None else ("pass" if ok else "**miss**")
            verdict += f" ({labels[-1]})"
        lines.append(f"| {title} | " + " | ".join(fmt(v) for v in values) + " | "
                     + (TARGET_TEXT.get(target, "") if target else "") + " | "
                     + (f"{growth} | " if len(runs) > 1 else "") + f"{verdict} |")
    lines += ["", "Per-query dashboard latency (ms, p50 / p95):", "",
              "| query | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(runs)]
    names = list(dict.fromkeys(n for d in runs for n in d.get("dashboard", {}).get("queries", {})))
    for name in names:
        cells = []
        for d in runs:
            q = d.get("dashboard", {}).get("queries", {}).get(name)
            cells.append(f"{q['p50_ms']:.1f} / {q['p95_ms']:.1f}" if q else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    dashboards = [d["dashboard"] for d in runs if "dashboard" in d]
    sources = "; ".join(f"{label}: {d['dashboard']['source']}"
                        for label, d in zip(labels, runs, strict=True) if "dashboard" in d)
    lines += ["", f"Dashboard queries from ({sources}); a typical client "
              "(median document count), a 3-month range ending at the as-of date, "
              f"{dashboards[-1]['repetitions']} runs each after one warm-up, one "
              "read-only connection to the serving file.", "",
              "Slowest dbt models of each full and incremental run (s):", ""]
    for d in runs:
        for phase in ("full", "incremental"):
            if "build" not in d.get(phase, {}):
                continue
            nodes = list(d[phase]["build"]["nodes"].items())[:6]
            lines.append(f"- {d['label'].upper()} {phase}: " + ", ".join(
                f"{name.split('.')[-1]} {seconds:.1f}" for name, seconds in nodes))
    lines += ["", "Peak RSS of each step's process tree (GiB; the peak-memory row is "
              "their maximum):",
              ""]
    for d in runs:
        steps = [f"{phase} {step} {d[phase][step]['peak_rss_bytes'] / GIB:.2f}"
                 for phase in ("full", "incremental") for step in ("build", "test", "publish")
                 if step in d.get(phase, {})]
        lines.append(f"- {d['label'].upper()}: " + ", ".join(steps))
    if any("extraction" in d for d in runs):
        lines += ["", "Extraction was measured against the simulator on a world of 1/10 the "
                  "documents of each run (the simulator serves its whole world from memory), "
                  "median of alternating rounds of the two readers of "
                  "`benchmarks/extraction_throughput.py`."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--extraction-rounds", type=int, default=3)
    parser.add_argument("--skip-extraction", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--markdown-only", action="store_true",
                        help="only regenerate scale.md from the JSON results")
    parser.add_argument("--from-log", type=Path,
                        help="write the JSON of a run stopped early from its progress log")
    args = parser.parse_args()
    if args.from_log:
        result = from_log(args.from_log, RESULTS / "tmp" / f"scale_{label_for(args.documents)}",
                          args.documents, args.repetitions)
        (RESULTS / f"scale_{result['label']}.json").write_text(
            json.dumps(result, indent=2, default=str) + "\n")
        print(json.dumps(result["summary"], indent=2))
    elif not args.markdown_only:
        result = run(args.documents, args.seed, args.repetitions, args.keep,
                     args.extraction_rounds, args.skip_extraction)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"scale_{result['label']}.json"
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        log(f"wrote {path.relative_to(ROOT)}")
        print(json.dumps(result["summary"], indent=2))
    (RESULTS / "scale.md").write_text(render_markdown())
    log("wrote benchmarks/results/scale.md")


if __name__ == "__main__":
    main()
