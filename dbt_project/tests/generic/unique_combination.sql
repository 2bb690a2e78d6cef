{#- Fails on every combination of the columns that occurs more than once (a grain check). -#}
{% test unique_combination(model, combination_of_columns) %}

with grouped as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
),

final as (
    select * from grouped
    where occurrences > 1
)

select * from final

{% endtest %}
