-- Shown in Dagster as a check of fct_client_category_daily.
{{ config(meta={'dagster': {'ref': {'name': 'fct_client_category_daily'}}}) }}

-- Summing fct_client_category_daily over all dates gives, per client and category, the
-- counts of fct_documents: the daily grain neither loses nor invents documents.
with daily as (
    select
        client_id,
        category,
        sum(documents_total) as documents_total,
        sum(coalesce(documents_processed, 0)) as documents_processed,
        sum(coalesce(documents_accountant_action_needed, 0)) as documents_accountant_action_needed,
        sum(coalesce(documents_client_action_needed, 0)) as documents_client_action_needed
    from {{ ref('fct_client_category_daily') }}
    group by client_id, category
),

documents as (
    select
        client_id,
        category,
        count(*) as documents_total,
        {{ status_counts('insights_status') }}
    from {{ ref('fct_documents') }}
    group by client_id, category
),

final as (
    select
        coalesce(daily.client_id, documents.client_id) as client_id,
        coalesce(daily.category, documents.category) as category,
        daily.documents_total as daily_total,
        documents.documents_total as documents_total
    from daily
    full outer join documents
        on daily.client_id = documents.client_id
        and daily.category = documents.category
    where daily.client_id is null
        or documents.client_id is null
        or daily.documents_total <> documents.documents_total
        or daily.documents_processed <> documents.documents_processed
        or daily.documents_accountant_action_needed <> documents.documents_accountant_action_needed
        or daily.documents_client_action_needed <> documents.documents_client_action_needed
)

select * from final
