"""`insights status`: the state of one INSIGHTS_HOME on one screen (or as JSON).

The last refresh (when, how long, result, what failed), the age of the published data, the
batches the quality gate holds, the spaces that failed to read in the newest extraction and
the alert channel. The command line records each refresh in `state/last_refresh.json`.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import Settings


def serving_identity(path: Path) -> tuple[int, int] | None:
    """Changes exactly when a publish switches the serving database to a new generation."""
    from pipelines.serving.duckdb_file import switch_path

    try:
        stat = switch_path(path).stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _last_refresh_path(settings: Settings) -> Path:
    return settings.state_dir / "last_refresh.json"


def record_refresh(settings: Settings, job: str, started_at: datetime, outcome,
                   summary: str | None = None) -> None:
    """Written atomically; a full disk must not turn a failed refresh into a crash."""
    record = {
        "job": job,
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": round(outcome.seconds, 1) if outcome else None,
        "result": "succeeded" if outcome is not None and outcome.ok else "failed",
        "failed_steps": dict(outcome.step_causes) if outcome else {},
        "failed_checks": list(outcome.failed_checks) if outcome else [],
        "published": bool(outcome and outcome.published),
        "summary": summary,
    }
    path = _last_refresh_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(record, indent=2), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass


def last_refresh(settings: Settings) -> dict | None:
    path = _last_refresh_path(settings)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _unreadable_spaces(settings: Settings) -> list[dict]:
    from pipelines.landing.zone import LandingZone

    records = LandingZone(settings.landing_dir).batch_records("documents")
    if not records.height:
        return []
    newest = records.row(-1, named=True)
    return [s for s in json.loads(newest["failures"] or "[]") if s.get("status") == "failed"]


def _alert_channel(settings: Settings) -> dict:
    log = settings.home / "alerts.log"
    last = None
    if log.exists():
        lines = log.read_text(encoding="utf-8").splitlines()
        if lines:
            last = json.loads(lines[-1])
    return {
        "log": str(log),
        "webhook": "configured" if settings.alert_webhook_url else "not configured",
        "alerts_logged": len(lines) if log.exists() else 0,
        "last_alert": {k: last[k] for k in ("at", "kind", "title")} if last else None,
    }


def collect(settings: Settings, now: datetime | None = None) -> dict:
    from pipelines.held_batches import HoldStore
    from pipelines.read_model.queries import data_as_of_in

    now = now or datetime.now(UTC)
    as_of = data_as_of_in(settings.serving_path)
    age = round((now - as_of).total_seconds() / 60, 1) if as_of else None
    return {
        "home": str(settings.home),
        "last_refresh": last_refresh(settings),
        "data": {
            "serving": str(settings.serving_path),
            "as_of": as_of.isoformat(timespec="seconds") if as_of else None,
            "age_minutes": age,
            "max_age_minutes": settings.max_data_age_minutes,
            "stale": age is not None and age > settings.max_data_age_minutes,
        },
        "held_batches": [h.as_dict() for h in HoldStore(settings.landing_dir).held()],
        "unreadable_spaces": _unreadable_spaces(settings),
        "alerts": _alert_channel(settings),
    }


def render(status: dict) -> list[str]:
    lines = [f"Insights home: {status['home']}"]
    last = status["last_refresh"]
    if last is None:
        lines.append("Last refresh: none recorded")
    else:
        took = f" in {last['seconds']:.0f}s" if last.get("seconds") is not None else ""
        lines.append(f"Last refresh: {last['started_at']} ({last['job']}), {last['result']}"
                     f"{took}; {'published' if last['published'] else 'nothing published'}")
        for step, cause in (last.get("failed_steps") or {}).items():
            lines.append(f"  failed: {step}: {cause}")
        if last.get("failed_checks"):
            lines.append(f"  blocking checks failed: {', '.join(last['failed_checks'])}")
    data = status["data"]
    if data["as_of"] is None:
        lines.append("Data: nothing published yet")
    else:
        stale = " STALE" if data["stale"] else ""
        lines.append(f"Data: as of {data['as_of']}, {data['age_minutes']:,.0f} min old "
                     f"(maximum {data['max_age_minutes']}){stale}")
    held = status["held_batches"]
    lines.append(f"Held batches: {len(held) or 'none'}")
    for hold in held:
        lines.append(f"  {hold['batch_id']} ({hold['entity']}) since {hold['held_at']}: "
                     f"{', '.join(hold['checks'])}: {hold['reason']}")
    if held:
        lines.append("  release one with `insights release BATCH` (or re-extract the space)")
    unreadable = status["unreadable_spaces"]
    lines.append(f"Spaces that failed to read: {len(unreadable) or 'none'}")
    lines += [f"  {s['space_id']}: {s.get('error') or s['status']}" for s in unreadable]
    alerts = status["alerts"]
    last_alert = alerts["last_alert"]
    lines.append(f"Alerts: {alerts['log']} ({alerts['alerts_logged']} logged), webhook "
                 f"{alerts['webhook']}" + (f"; last: {last_alert['at']} {last_alert['kind']}: "
                                           f"{last_alert['title']}" if last_alert else ""))
    return lines
