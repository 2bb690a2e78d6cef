{#- Calendar helpers whose SQL differs per engine. -#}

{#- The last day of the month holding a date, as a date. -#}
{% macro month_last_day(date_expression) -%}
    {{ return(adapter.dispatch('month_last_day', 'client_insights')(date_expression)) }}
{%- endmacro %}

{% macro default__month_last_day(date_expression) -%}
    cast({{ dbt.last_day(date_expression, 'month') }} as date)
{%- endmacro %}

{% macro duckdb__month_last_day(date_expression) -%}
    last_day({{ date_expression }})
{%- endmacro %}

{% macro spark__month_last_day(date_expression) -%}
    last_day({{ date_expression }})
{%- endmacro %}

{#- ISO day of the week of a date: 1 = Monday .. 7 = Sunday. -#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'client_insights')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_expression) -%}
    isodow({{ date_expression }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expression) -%}
    (pmod(dayofweek({{ date_expression }}) + 5, 7) + 1)
{%- endmacro %}

{#- A date plus a whole number of days or months, as a date (dbt.dateadd may return a
    timestamp, which would change the column type). -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro add_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}

{#- Every row of a relation repeated `count_column` times (at least once), with a column
    `day_offset` = 0 .. count - 1: expands a run of equal days into one row per day without
    a join (a join on a range of integers costs far more at millions of runs). -#}
{% macro repeat_per_day_offset(relation, count_column) -%}
    {{ return(adapter.dispatch('repeat_per_day_offset', 'client_insights')(relation, count_column)) }}
{%- endmacro %}

{% macro default__repeat_per_day_offset(relation, count_column) -%}
    select {{ relation }}.*, generate_series(0, {{ count_column }} - 1) as day_offset
    from {{ relation }}
{%- endmacro %}

{% macro duckdb__repeat_per_day_offset(relation, count_column) -%}
    select {{ relation }}.*, unnest(range({{ count_column }})) as day_offset
    from {{ relation }}
{%- endmacro %}

{% macro spark__repeat_per_day_offset(relation, count_column) -%}
    select {{ relation }}.*, explode(sequence(0, {{ count_column }} - 1)) as day_offset
    from {{ relation }}
{%- endmacro %}
