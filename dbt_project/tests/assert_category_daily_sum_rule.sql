-- Shown in Dagster as a check of fct_client_category_daily.
{{ config(meta={'dagster': {'ref': {'name': 'fct_client_category_daily'}}}) }}

-- Contract sum rule: for categories with a status breakdown (all but OTHER), every row's
-- total is the sum of its three status counts; for OTHER the status counts are null.
with daily as (
    select * from {{ ref('fct_client_category_daily') }}
),

categories as (
    select * from {{ ref('category_url_slugs') }}
),

final as (
    select daily.*
    from daily
    inner join categories
        on daily.category = categories.category
    where (
        categories.has_status_breakdown
        and (
            daily.documents_processed is null
            or daily.documents_accountant_action_needed is null
            or daily.documents_client_action_needed is null
            or daily.documents_total <> daily.documents_processed
                + daily.documents_accountant_action_needed
                + daily.documents_client_action_needed
        )
    )
    or (
        not categories.has_status_breakdown
        and (
            daily.documents_processed is not null
            or daily.documents_accountant_action_needed is not null
            or daily.documents_client_action_needed is not null
        )
    )
)

select * from final
