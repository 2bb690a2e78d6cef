{#- Column types whose names differ per engine. The marts' contracts (_marts__models.yml)
    name the same types per target: text is varchar (DuckDB, PostgreSQL) or string (Spark);
    an instant is timestamp with time zone, or Spark's timestamp (a session-time-zone
    instant, the session being UTC); a double is double precision, or Spark's double. -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'client_insights')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}

{% macro type_instant() -%}
    {{ return(adapter.dispatch('type_instant', 'client_insights')()) }}
{%- endmacro %}

{% macro default__type_instant() -%}
    timestamp with time zone
{%- endmacro %}

{% macro spark__type_instant() -%}
    timestamp
{%- endmacro %}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'client_insights')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
