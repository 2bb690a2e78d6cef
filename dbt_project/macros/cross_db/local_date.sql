{#- The local date (in the `timezone` var) of a UTC timestamp. DST-correct: the zone's
    offset of that very instant is used, so 22:30Z is the next day in summer only. -#}
{% macro local_date(timestamp_expression) -%}
    {{ return(adapter.dispatch('local_date', 'client_insights')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__local_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }} at time zone '{{ var("timezone") }}') as date)
{%- endmacro %}

{% macro duckdb__local_date(timestamp_expression) -%}
    {#- On a timestamptz, AT TIME ZONE gives the wall-clock time of that zone (ICU). -#}
    cast(({{ timestamp_expression }} at time zone '{{ var("timezone") }}') as date)
{%- endmacro %}

{% macro spark__local_date(timestamp_expression) -%}
    to_date(from_utc_timestamp({{ timestamp_expression }}, '{{ var("timezone") }}'))
{%- endmacro %}
