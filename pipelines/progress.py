"""Readable progress for in-process runs: one short line per step event or user message."""

import logging
import sys
import time
from pathlib import Path

import dagster as dg

from pipelines.failures import chain_of_error_info, describe

_STEP_EVENTS = {
    "STEP_START": "started",
    "STEP_SUCCESS": "done",
    "STEP_FAILURE": "FAILED",
    "ASSET_CHECK_EVALUATION": None,  # reported with its outcome below
}


# The step running now, for a failure that escapes the run (its storage could not be written).
CURRENT = {"step": None}


class ProgressFormatter(logging.Formatter):
    def __init__(self, started: float, home: Path | None = None):
        super().__init__()
        self._started = started
        self._home = home or Path.cwd()
        self._causes: dict[str, str] = {}  # cause -> first step that failed with it

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        step = meta.get("step_key") or "run"
        event = meta.get("dagster_event")
        message = meta.get("orig_message") or record.getMessage()
        if event is not None:
            kind = event.event_type_value
            if kind == "ASSET_CHECK_EVALUATION":
                evaluation = event.event_specific_data
                verdict = "passed" if evaluation.passed else f"FAILED ({evaluation.severity.value})"
                message = f"check {evaluation.check_name}: {verdict}"
            elif kind in _STEP_EVENTS:
                message = _STEP_EVENTS[kind]
                if kind == "STEP_START":
                    CURRENT["step"] = step
                if kind == "STEP_FAILURE" and event.step_failure_data.error:
                    cause = describe(chain_of_error_info(event.step_failure_data.error),
                                     self._home)
                    first = self._causes.setdefault(cause, step)
                    # the same cause in several steps is said once
                    message += f": {cause}" if first == step else f" (same cause as {first})"
        elapsed = time.monotonic() - self._started
        return f"[{elapsed:7.1f}s] {step}: {message}"


# dagster-dbt's own chatter; the dbt asset reports what matters itself.
_QUIET_PREFIXES = ("Running dbt command", "Finished dbt command", "Copying `", "Writing file at")


def _wanted(record: logging.LogRecord) -> bool:
    meta = getattr(record, "dagster_meta", None) or {}
    event = meta.get("dagster_event")
    if event is None:
        message = meta.get("orig_message") or record.getMessage()
        # "Dependencies for step X failed ... Not executing.": counted in the summary instead
        return (record.levelno >= logging.INFO and not message.startswith(_QUIET_PREFIXES)
                and not message.endswith("Not executing."))
    if event.event_type_value == "ASSET_CHECK_EVALUATION":
        # Hundreds of dbt tests pass on every run: show failures; the summary counts the rest.
        return not event.event_specific_data.passed
    return event.event_type_value in _STEP_EVENTS


def progress_logger_definition(stream=None, home: Path | None = None) -> dg.LoggerDefinition:
    started = time.monotonic()

    @dg.logger(description="Compact progress lines for the insights command line.")
    def progress(_init_context):
        logger = logging.Logger("insights.progress", level=logging.DEBUG)
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(ProgressFormatter(started, home))
        handler.addFilter(_wanted)
        logger.addHandler(handler)
        return logger

    return progress
