"""Where alerts go: a log file always, and a Slack-compatible webhook when one is configured.

Open-source Dagster does not alert on failed checks by itself; the sensors in sensors.py
decide what to say and hand each alert to every configured notifier.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from pipelines.settings import Settings

log = logging.getLogger("pipelines.alerts")


@dataclass(frozen=True)
class Alert:
    kind: str  # run_failed | check_failed | stale_data
    title: str
    details: list[str] = field(default_factory=list)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def text(self) -> str:
        return "\n".join([f"*{self.title}*", *[f"• {line}" for line in self.details]])


class Notifier(Protocol):
    def send(self, alert: Alert) -> None: ...


class LogFileNotifier:
    """One JSON line per alert in $INSIGHTS_HOME/alerts.log: the default, always on."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, alert: Alert) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(alert), ensure_ascii=False) + "\n")


class WebhookNotifier:
    """POSTs {"text": ...} (Slack's incoming-webhook shape) to the configured URL."""

    def __init__(self, url: str, timeout_seconds: float = 10.0):
        self._url = url
        self._timeout = timeout_seconds

    def send(self, alert: Alert) -> None:
        try:
            response = httpx.post(self._url, json={"text": alert.text()}, timeout=self._timeout)
            response.raise_for_status()
        except httpx.HTTPError as error:
            # Never let an alerting outage hide the alert: it is in the log file anyway.
            log.warning("webhook alert failed: %s", type(error).__name__)


def notifiers_from(settings: Settings) -> list[Notifier]:
    notifiers: list[Notifier] = [LogFileNotifier(settings.home / "alerts.log")]
    if settings.alert_webhook_url:
        notifiers.append(WebhookNotifier(settings.alert_webhook_url))
    return notifiers


def notify(settings: Settings, alert: Alert) -> None:
    for notifier in notifiers_from(settings):
        notifier.send(alert)
