"""Publishing: the marts leave the warehouse for the serving database that BI tools read."""

import dagster as dg

from pipelines.assets.warehouse import warehouse_models
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.serving.duckdb_file import publish_duckdb
from pipelines.serving.leftovers import clean_leftovers
from pipelines.serving.postgres_publish import publish_postgres

MART_KEYS = sorted(
    (key for key in warehouse_models.keys if warehouse_models.group_names_by_key[key] == "marts"),
    key=lambda key: key.to_user_string(),
)


@dg.asset(
    key=["serving", "insights_duckdb"],
    group_name="serving",
    kinds={"duckdb"},
    deps=MART_KEYS,
    description=(
        "The serving DuckDB file $INSIGHTS_HOME/serving/insights.duckdb: a catalog of views "
        "(schema marts) over the Parquet files of the current publish, which every reader, an "
        "open connection too, sees whole from its next statement. It has no row-level "
        "security: single-user or trusted use only."
    ),
)
def serving_duckdb(
    context: dg.AssetExecutionContext, settings: dg.ResourceParam[InsightsSettings]
) -> dg.MaterializeResult:
    config = settings.get()
    with config.writing(on_wait=context.log.info):
        clean_leftovers(config, context.log.warning)
        counts = publish_duckdb(config.warehouse_path, config.serving_path,
                                config.duckdb_memory_limit, config.serving_duckdb_storage,
                                log=context.log.warning)
    context.log.info(
        f"published {len(counts)} marts to {config.serving_path}: "
        + ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    )
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(config.serving_path)),
        "rows": dg.MetadataValue.json(counts),
        "dagster/row_count": sum(counts.values()),
    })


@dg.asset(
    key=["serving", "insights_postgres"],
    group_name="serving",
    kinds={"postgres"},
    deps=[serving_duckdb],
    output_required=False,
    description=(
        "Schema marts of the PostgreSQL database at INSIGHTS_POSTGRES_DSN: the marts just "
        "published to the serving DuckDB file, loaded into a new schema and swapped in one "
        "transaction, with row-level security per team member. Not materialized when "
        "INSIGHTS_POSTGRES_DSN is unset."
    ),
)
def serving_postgres(
    context: dg.AssetExecutionContext, settings: dg.ResourceParam[InsightsSettings]
):
    config = settings.get()
    if config.postgres_dsn is None:
        context.log.info("INSIGHTS_POSTGRES_DSN is unset: the marts are served by DuckDB only")
        return
    with config.writing(on_wait=context.log.info):
        result = publish_postgres(config.serving_path, config.postgres_dsn, log=context.log.info)
    context.log.info(
        f"published {len(result.rows)} marts to PostgreSQL; member roles with access: "
        f"{len(result.members.granted)}, revoked: {len(result.members.revoked)}"
    )
    yield dg.MaterializeResult(metadata={
        "rows": dg.MetadataValue.json(result.rows),
        "dagster/row_count": sum(result.rows.values()),
        "member_roles_granted": len(result.members.granted),
        "member_roles_revoked": dg.MetadataValue.json(result.members.revoked),
        "retired_schemas_left": dg.MetadataValue.json(result.retired_schemas_left),
    })
