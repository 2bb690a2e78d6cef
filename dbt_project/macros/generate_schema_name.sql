{#- A model's +schema is used literally (marts -> "marts", not "main_marts"): the schema
    name is part of the output contract that BI tools and the publishing step read. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
