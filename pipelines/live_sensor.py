"""The live-mode sensor: an incremental refresh as soon as the source changed (see live.py).

On by default under `dagster dev` (INSIGHTS_LIVE_INTERVAL_SECONDS, default 60; 0 turns it
off). It requests nothing while a writing run is queued or running, nor while
`insights refresh` holds the writer lock, so it never starts a second writer; the run queue's
limit on the insights/writer tag (dagster.yaml) backs that up.
"""

from __future__ import annotations

import dagster as dg

from pipelines.as_of import as_of_tags
from pipelines.live import pending_change, writer_busy
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.schedules import WRITER_TAG, refresh_job
from pipelines.settings import load_schedule_settings

_IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
              dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
              dg.DagsterRunStatus.CANCELING]


def writers_in_flight(instance: dg.DagsterInstance) -> int:
    return instance.get_runs_count(dg.RunsFilter(statuses=_IN_FLIGHT, tags=WRITER_TAG))


def build_live_sensor() -> dg.SensorDefinition:
    interval = load_schedule_settings().live_interval_seconds

    @dg.sensor(
        name="live_refresh", job=refresh_job, minimum_interval_seconds=interval or 60,
        default_status=(dg.DefaultSensorStatus.RUNNING if interval
                        else dg.DefaultSensorStatus.STOPPED),
        description="Live mode: asks each active space for changes since its mark (one "
                    "limit=1 page) and requests an incremental refresh only when one changed "
                    "(INSIGHTS_LIVE_INTERVAL_SECONDS).",
    )
    def live_refresh(context: dg.SensorEvaluationContext,
                     settings: dg.ResourceParam[InsightsSettings],
                     api: dg.ResourceParam[ClientSpacesApi]):
        config = settings.get()
        if writers_in_flight(context.instance) or writer_busy(config.state_dir):
            return dg.SkipReason("a run is writing; asking again at the next tick")
        reason = pending_change(config, api)
        if reason is None:
            return dg.SkipReason("no change at the source since the last refresh")
        context.log.info(reason)
        return dg.RunRequest(tags=as_of_tags(config.as_of))

    return live_refresh
