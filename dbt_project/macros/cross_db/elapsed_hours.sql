{#- Elapsed real hours between two instants (a DST night counts 23 or 25 hours). -#}
{% macro elapsed_hours(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('elapsed_hours', 'client_insights')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__elapsed_hours(start_expression, end_expression) -%}
    {#- a double, as on DuckDB (PostgreSQL's extract gives a numeric) -#}
    (cast(extract(epoch from ({{ end_expression }} - {{ start_expression }})) as double precision) / 3600.0)
{%- endmacro %}

{% macro duckdb__elapsed_hours(start_expression, end_expression) -%}
    ((epoch({{ end_expression }}) - epoch({{ start_expression }})) / 3600.0)
{%- endmacro %}

{% macro spark__elapsed_hours(start_expression, end_expression) -%}
    ((unix_micros({{ end_expression }}) - unix_micros({{ start_expression }})) / 3600000000.0)
{%- endmacro %}
