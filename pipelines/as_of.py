"""The as-of instant of a run: chosen once when the run is requested, read everywhere else.

Whoever requests a run (`insights refresh`, the schedules, the live-mode sensor) calls
`as_of_tags()`: the run carries `INSIGHTS_AS_OF` when that is set, else the moment of the
request, as the run tag `insights/as_of`. Every step reads it back with `run_as_of()`; a run
without the tag is an error, never a silent "now" picked by one layer.

dbt gets the instant through the environment variable `INSIGHTS_RUN_AS_OF` rather than a
`--vars` entry: a changed var makes dbt re-parse the whole project. The macro reads the env var
only while the models run, not while dbt parses, so dbt does not track it and keeps its parse
from one run to the next (see macros/as_of.sql).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

AS_OF_TAG = "insights/as_of"
DBT_AS_OF_ENV = "INSIGHTS_RUN_AS_OF"


class MissingAsOf(RuntimeError):
    pass


def as_of_tags(fixed: datetime | None) -> dict[str, str]:
    """The tags that fix a new run's as-of: `fixed` (INSIGHTS_AS_OF) or the request's moment."""
    instant = fixed if fixed is not None else datetime.now(UTC)
    return {AS_OF_TAG: instant.astimezone(UTC).isoformat(timespec="microseconds")}


def run_as_of(tags: Mapping[str, str]) -> datetime:
    raw = tags.get(AS_OF_TAG)
    if not raw:
        raise MissingAsOf(
            f"this run has no {AS_OF_TAG} tag, so its figures would have no as-of: start runs "
            "with `insights refresh`, a schedule or the live-mode sensor, or add the tag (an "
            "RFC 3339 timestamp) when launching the run by hand"
        )
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise MissingAsOf(f"run tag {AS_OF_TAG} must be an RFC 3339 timestamp, got {raw!r}")
    return value.astimezone(UTC)


def rfc3339(instant: datetime) -> str:
    """The form dbt's macros receive: UTC, microseconds, a trailing Z."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
