"""The summary and the Markdown table of an operating-time run (benchmarks/operating_time.py).

    .venv/bin/python benchmarks/operating_time_report.py benchmarks/results/operating_time.json
re-renders the Markdown of a result file (also of a `.partial.json` left by an unfinished run).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _mean_extraction(rows: dict, upto: int) -> float | None:
    """Mean direct extraction time of the (up to) 8 refreshes before `upto`."""
    times = [rows[n]["extract_seconds"] for n in range(max(2, upto - 9), upto)
             if n in rows and "extract_seconds" in rows[n]]
    return round(sum(times) / len(times), 4) if times else None


def _samples(complete: dict, n: int, count: int) -> list[int]:
    """The complete refreshes that measure checkpoint n: n and the ones just before it."""
    return [m for m in range(n - count + 1, n + 1) if str(m) in complete]


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def summarize(result: dict, checkpoints: list[int]) -> dict:
    base = checkpoints[0]
    count = result["config"].get("samples", 1)
    summary = {}
    for mode, data in result["modes"].items():
        complete = data["complete"]
        samples = {n: _samples(complete, n, count) for n in checkpoints}
        seconds = {n: _median([complete[str(m)]["seconds"] for m in samples[n]])
                   for n in checkpoints if samples[n]}
        dbt = {n: _median([complete[str(m)]["dbt"]["elapsed_time"] for m in samples[n]])
               for n in checkpoints if samples[n]}
        rows = {r["n"]: r for r in data["refreshes"]}
        probes = {r["n"]: r["glob_probe_seconds"] for r in data["refreshes"]
                  if "glob_probe_seconds" in r}
        summary[mode] = {
            "refresh_seconds": {n: round(v, 3) for n, v in seconds.items()},
            "refresh_samples": {n: list(samples[n]) for n in seconds},
            "ratio_to_refresh_10": {n: round(v / seconds[base], 3)
                                    for n, v in seconds.items() if base in seconds},
            "dbt_elapsed": {n: None if v is None else round(v, 3) for n, v in dbt.items()},
            "extract_seconds_mean_before": {n: _mean_extraction(rows, n) for n in checkpoints},
            "glob_probe_ratio_to_10": {n: round(probes[n] / probes[base], 3)
                                       for n in checkpoints if n in probes and base in probes},
            "landing_files": {n: rows[n]["landing_files"] for n in checkpoints if n in rows},
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
             "Refresh N: the median wall time of refreshes "
             f"N-{result['config'].get('samples', 1) - 1} to N, each an incremental build "
             "after one 30-minute change; dbt's own elapsed "
             "time (median of the same runs) in brackets.", "",
             "| mode | " + " | ".join(f"refresh {n} (s)" for n in checkpoints)
             + " | " + " | ".join(f"{n} / {checkpoints[0]}" for n in later) + " |",
             "|---" * (1 + len(checkpoints) + len(later)) + "|"]
    for mode, s in summary.items():
        lines.append(
            f"| {mode} | "
            + " | ".join(_fmt(s["refresh_seconds"].get(n))
                         + f" [{_fmt(s['dbt_elapsed'].get(n))}]" for n in checkpoints) + " | "
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
            f"| {mode} | " + " | ".join(_fmt(s["landing_files"].get(n), "{:,}")
                                        for n in checkpoints)
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



def main(path: str) -> int:
    source = Path(path)
    result = json.loads(source.read_text())
    checkpoints = sorted(int(n) for n in result["config"]["checkpoints"].split(","))
    result.setdefault("machine_load_after", "unknown (unfinished run)")
    result.setdefault("finished", "unfinished")
    result["summary"] = summarize(result, checkpoints)
    target = source.with_name(source.name.removesuffix(".partial.json").removesuffix(".json")
                              + ".md")
    target.write_text(markdown(result, checkpoints))
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
