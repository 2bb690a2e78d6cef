"""The one assembly point of the Dagster code location (`dagster dev` loads this module).

Nothing here reads the environment: settings load on first use inside a run, so the
definitions load on a machine with no credentials at all.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.landing import LANDING_ASSETS
from pipelines.assets.publish import serving_duckdb
from pipelines.assets.warehouse import warehouse_models
from pipelines.resources.client_spaces import ClientSpacesApi
from pipelines.resources.settings_resource import InsightsSettings

REFRESH_JOB_NAME = "refresh"

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Extract, land, transform, check and publish everything: `insights refresh`.",
)


def build_definitions(
    settings: InsightsSettings | None = None,
    api: ClientSpacesApi | None = None,
) -> dg.Definitions:
    settings = settings or InsightsSettings()
    return dg.Definitions(
        assets=[*LANDING_ASSETS, warehouse_models, serving_duckdb],
        jobs=[refresh_job],
        resources={"settings": settings, "api": api or ClientSpacesApi(settings)},
    )


defs = build_definitions()
