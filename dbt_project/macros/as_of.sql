{#- The as-of instant of the contract, one per run. The pipeline hands it over in the
    environment variable INSIGHTS_RUN_AS_OF (RFC 3339), read only when the models run
    (`execute`): dbt records the env vars read while parsing and re-parses the files that read
    one that changed, and a changed `--vars` entry re-parses the whole project, so either would
    cost a parse on every run. The `as_of` var is for direct dbt invocations (tests, unit tests,
    other engines) and wins when set. Neither set is an error: no layer picks its own "now". -#}
{% macro as_of_text() -%}
    {%- set value = var('as_of', '') | string | trim -%}
    {%- if value in ('', 'None') and execute -%}
        {%- set value = env_var('INSIGHTS_RUN_AS_OF', '') | trim -%}
    {%- endif -%}
    {%- if value == '' and execute -%}
        {{ exceptions.raise_compiler_error(
            "no as-of: set the environment variable INSIGHTS_RUN_AS_OF or the var as_of "
            ~ "(an RFC 3339 timestamp)") }}
    {%- endif -%}
    {{ return(value if value != '' else '1970-01-01T00:00:00Z') }}
{%- endmacro %}

{% macro as_of_timestamp() -%}
    cast('{{ as_of_text() }}' as {{ type_instant() }})
{%- endmacro %}

{% macro as_of_date() -%}
    {{ local_date(as_of_timestamp()) }}
{%- endmacro %}
