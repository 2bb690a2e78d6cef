"""The quality report written after each refresh: $INSIGHTS_HOME/reports/quality-<time>.md.

Every check and dbt test with its result, the landed and quarantined counts with the top
quarantine reasons, and freshness; `quality-latest.md` is always the newest report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class CheckLine:
    name: str  # asset:check
    passed: bool
    severity: str
    description: str | None


def _verdict(check: CheckLine) -> str:
    return "passed" if check.passed else f"**FAILED ({check.severity})**"


def render(outcome, serving_as_of: datetime | None) -> str:
    now = datetime.now(UTC)
    status = "succeeded" if outcome.ok else "FAILED (nothing new was published)"
    lines = [f"# Quality report, {now:%Y-%m-%d %H:%M} UTC", "",
             f"Refresh {status} in {outcome.seconds:.0f}s.", ""]
    if outcome.failed_steps:
        lines += [f"Failed steps: {', '.join(outcome.failed_steps)}", ""]
    lines += ["## Landed and quarantined records", "",
              "| entity | fetched | landed | new versions | quarantined |",
              "|---|---:|---:|---:|---:|"]
    reasons: dict[str, int] = {}
    for entity in ("spaces", "users", "assignments", "documents"):
        meta = outcome.metadata.get(f"landing/{entity}")
        if meta:
            lines.append(f"| {entity} | {meta.get('fetched', 0):,} | {meta.get('landed', 0):,} | "
                         f"{meta.get('new_versions', 0):,} | {meta.get('quarantined', 0):,} |")
            for reason, count in (meta.get("quarantine_reasons") or {}).items():
                reasons[reason] = reasons.get(reason, 0) + count
    lines.append("")
    if reasons:
        lines += ["Top quarantine reasons:", ""]
        lines += [f"- {count:,} × {reason}" for reason, count in
                  sorted(reasons.items(), key=lambda item: -item[1])[:10]]
        lines.append("")
    lines += ["## Freshness", ""]
    lines.append(f"Published data as of: {serving_as_of:%Y-%m-%d %H:%M} UTC"
                 if serving_as_of else "No published data yet.")
    lines.append("")
    failed = [c for c in outcome.checks if not c.passed]
    lines += ["## Checks and tests", "",
              f"{len(outcome.checks) - len(failed)} passed, {len(failed)} failed.", ""]
    if failed:
        lines += ["| check | result | detail |", "|---|---|---|"]
        lines += [f"| {c.name} | {_verdict(c)} | {(c.description or '').replace('|', '/')} |"
                  for c in failed]
        lines.append("")
    lines += ["<details><summary>All checks</summary>", ""]
    lines += [f"- {c.name}: {_verdict(c)}" for c in sorted(outcome.checks, key=lambda c: c.name)]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def write_report(reports_dir: Path, outcome, serving_as_of: datetime | None) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    text = render(outcome, serving_as_of)
    path = reports_dir / f"quality-{datetime.now(UTC):%Y%m%dT%H%M%S}Z.md"
    path.write_text(text, encoding="utf-8")
    latest = reports_dir / ".quality-latest.md.partial"
    latest.write_text(text, encoding="utf-8")
    os.replace(latest, reports_dir / "quality-latest.md")
    return path
