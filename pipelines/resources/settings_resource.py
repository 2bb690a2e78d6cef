"""The settings as a Dagster resource, loaded on first use (never at import)."""

from __future__ import annotations

from pipelines.settings import Settings, load_settings


class InsightsSettings:
    """Hands the validated settings to assets; tests and the CLI pass their own."""

    def __init__(self, settings: Settings | None = None):
        self._settings = settings

    def get(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings
