{#- The as-of instant of the contract: the `as_of` var (RFC 3339) when set, otherwise the
    start of this dbt run. Every model that needs it calls these macros, so one run uses
    one instant everywhere. -#}
{% macro as_of_text() -%}
    {%- set value = var('as_of', '') -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(run_started_at.strftime('%Y-%m-%dT%H:%M:%S.%f') ~ '+00:00') }}
    {%- else -%}
        {{ return(value | string | trim) }}
    {%- endif -%}
{%- endmacro %}

{% macro as_of_timestamp() -%}
    cast('{{ as_of_text() }}' as {{ type_instant() }})
{%- endmacro %}

{% macro as_of_date() -%}
    {{ local_date(as_of_timestamp()) }}
{%- endmacro %}
