{#- How the incremental version log (int_document_versions) is kept up to date, per engine.
    It merges on the version key (document_id, updated_at):

    - DuckDB and PostgreSQL (15+): `incremental` with the `merge` strategy.
    - Spark with file_format delta, iceberg or hudi (Databricks, or a cluster with those
      jars): `incremental` with `merge` too.
    - Spark with plain Parquet (the default here: no extra jars to download): Parquet tables
      support only append and insert_overwrite. Append would duplicate a version landed twice,
      and insert_overwrite of an unpartitioned table keeps only the new batches, so on Parquet
      the model is rebuilt whole (`table`) on every run. Cost: each run reads every
      landed document version again (Spark scans the files in parallel); the result equals a
      merge, and the incremental filter is simply not applied. -#}
{% macro merge_materialization() -%}
    {{ return(adapter.dispatch('merge_materialization', 'client_insights')()) }}
{%- endmacro %}

{% macro default__merge_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__merge_materialization() -%}
    {%- if var('spark_file_format', 'parquet') in ('delta', 'iceberg', 'hudi') -%}
        {{ return('incremental') }}
    {%- else -%}
        {{ return('table') }}
    {%- endif -%}
{%- endmacro %}
