"""Whether the refreshes run by themselves: INSIGHTS_AUTOMATION (default on).

One rule for every schedule and sensor the code location defines, whoever adds it: with `on`,
every schedule starts RUNNING as soon as the daemon loads the code location, and sensors keep
the default they declare (a refresh sensor can still switch itself off by its own setting);
with `off`, every schedule and every sensor that requests runs (it targets a job or assets)
loads STOPPED. Sensors that only watch runs (the alerts) always keep their own status. As
everywhere in Dagster, this is the default only: a schedule started or stopped in the UI (or
with `dagster schedule start|stop`) keeps that state.
"""

from __future__ import annotations

import copy

import dagster as dg
from dagster_shared.record import replace

from pipelines.settings import load_schedule_settings


def requests_runs(sensor: dg.SensorDefinition) -> bool:
    return bool(sensor.targets) or sensor.asset_selection is not None


def _with_status(definition, status):
    # Neither definition type has a public way to change only its default status; a shallow
    # copy with the one attribute replaced keeps everything else (subclass, evaluation function).
    changed = copy.copy(definition)
    changed._default_status = status
    return changed


def apply_automation_default(defs: dg.Definitions, *, on: bool | None = None) -> dg.Definitions:
    """`defs` with the default status of its schedules and run-requesting sensors set."""
    if on is None:
        on = load_schedule_settings().automation_on
    schedule_status = dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED
    stopped = dg.DefaultSensorStatus.STOPPED
    return replace(
        defs,
        schedules=[_with_status(s, schedule_status) for s in defs.schedules or []],
        sensors=[_with_status(s, stopped) if not on and requests_runs(s) else s
                 for s in defs.sensors or []],
    )
