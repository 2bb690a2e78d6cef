{#- The status pivot, written once: how many rows of a group have each Insights status.

    {{ status_counts('documents.insights_status') }} renders, as three select columns,
        sum(case when documents.insights_status = 'processed' then 1 else 0 end) as documents_processed,
        ... as documents_accountant_action_needed, ... as documents_client_action_needed
    `columns` picks the statuses and names the columns ({status: column name}), e.g.
    {{ status_counts('insights_status', {'accountant_action_needed': 'open_accountant_action'}) }}.
    A row whose status is null (a category shown as a total only) counts in none of them.
    Plain `sum(case ...)` on integers: the same SQL and the same types on DuckDB, Spark and
    PostgreSQL (no `count_if` / `filter (where ...)`, which differ per engine). -#}
{% macro status_counts(status_column, columns=none) -%}
    {%- set columns = columns if columns is not none else {
        'processed': 'documents_processed',
        'accountant_action_needed': 'documents_accountant_action_needed',
        'client_action_needed': 'documents_client_action_needed',
    } -%}
    {%- for status, column in columns.items() -%}
        sum({{ status_is(status_column, status) }}) as {{ column }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- 1 (or `value`) when the status column holds `status` (or one of a list of statuses),
    else 0: the term the pivot sums, also used for the +1/-1 day-end changes of the backlog. -#}
{% macro status_is(status_column, status, value=1) -%}
    {%- if status is string -%}
        case when {{ status_column }} = '{{ status }}' then {{ value }} else 0 end
    {%- else -%}
        case when {{ status_column }} in ('{{ status | join("', '") }}') then {{ value }} else 0 end
    {%- endif -%}
{%- endmacro %}
