{#- List (array) columns: the users' roles arrive as a list of strings. -#}

{#- The elements sorted and joined with ', ' into one string. -#}
{% macro sorted_list_to_text(list_expression) -%}
    {{ return(adapter.dispatch('sorted_list_to_text', 'client_insights')(list_expression)) }}
{%- endmacro %}

{% macro default__sorted_list_to_text(list_expression) -%}
    array_to_string(array(select element from unnest({{ list_expression }}) as element order by element), ', ')
{%- endmacro %}

{% macro duckdb__sorted_list_to_text(list_expression) -%}
    array_to_string(list_sort({{ list_expression }}), ', ')
{%- endmacro %}

{% macro spark__sorted_list_to_text(list_expression) -%}
    array_join(array_sort({{ list_expression }}), ', ')
{%- endmacro %}

{#- True when the list holds the value. -#}
{% macro list_contains(list_expression, value_expression) -%}
    {{ return(adapter.dispatch('list_contains', 'client_insights')(list_expression, value_expression)) }}
{%- endmacro %}

{% macro default__list_contains(list_expression, value_expression) -%}
    coalesce({{ value_expression }} = any({{ list_expression }}), false)
{%- endmacro %}

{% macro duckdb__list_contains(list_expression, value_expression) -%}
    coalesce(list_contains({{ list_expression }}, {{ value_expression }}), false)
{%- endmacro %}

{% macro spark__list_contains(list_expression, value_expression) -%}
    coalesce(array_contains({{ list_expression }}, {{ value_expression }}), false)
{%- endmacro %}
