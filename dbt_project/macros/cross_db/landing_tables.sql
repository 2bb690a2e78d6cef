{#- The landing zone as the `landing` sources, per engine (one declaration in
    models/staging/_landing__sources.yml):

    - DuckDB reads the Parquet files directly through dbt-duckdb's `external_location`.
    - Spark: on-run-start registers each landing source as an external (unmanaged) Parquet
      table over its folder: schema `landing`, the source's name, the files read where they
      lie (recursively: documents has one folder per space), columns merged by name across
      files. Dropping such a table never deletes its files; re-registering each run picks up
      new files and new columns. A folder needs at least one data file (Spark skips files
      starting with `_`, such as the zero-row `_schema.parquet`).
    - PostgreSQL cannot read Parquet: pipelines/warehouse_targets/postgres_landing.py copies
      the files into tables of schema `landing` before dbt runs. -#}
{#- The landing zone's folder: the `landing_dir` var, else $INSIGHTS_HOME/landing. The two
    source globs of models/staging/_landing__sources.yml spell the same fallback out (source
    properties cannot call a macro). -#}
{% macro landing_dir() -%}
    {{ return(var('landing_dir') or (env_var('INSIGHTS_HOME', '.insights') ~ '/landing')) }}
{%- endmacro %}

{% macro register_landing_tables() -%}
    {{ return(adapter.dispatch('register_landing_tables', 'client_insights')()) }}
{%- endmacro %}

{% macro default__register_landing_tables() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__register_landing_tables() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- set folder = landing_dir() ~ '/' ~ source.name -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ ' using parquet options ('
                ~ "path '" ~ folder ~ "', recursiveFileLookup 'true', mergeSchema 'true')"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
