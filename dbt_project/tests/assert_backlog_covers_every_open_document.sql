-- Shown in Dagster as a check of fct_client_backlog_daily.
{{ config(meta={'dagster': {'ref': {'name': 'fct_client_backlog_daily'}}}) }}

-- Every client and category with open documents in fct_documents has a backlog row on the
-- as-of date, and the backlog's received counts add up to the live documents received.
with backlog_today as (
    select client_id, category
    from {{ ref('fct_client_backlog_daily') }}
    where calendar_date = {{ as_of_date() }}
),

received as (
    select client_id, category, sum(received_count) as received_count
    from {{ ref('fct_client_backlog_daily') }}
    group by client_id, category
),

documents as (
    select
        documents.client_id,
        documents.category,
        count(*) as documents_total,
        sum(
            {{ status_is('documents.insights_status', ['accountant_action_needed', 'client_action_needed']) }}
        ) as documents_open
    from {{ ref('fct_documents') }} as documents
    inner join {{ ref('category_url_slugs') }} as categories
        on documents.category = categories.category
    where categories.has_status_breakdown
    group by documents.client_id, documents.category
),

final as (
    select documents.client_id, documents.category, documents.documents_total, received.received_count
    from documents
    left join backlog_today
        on documents.client_id = backlog_today.client_id
        and documents.category = backlog_today.category
    left join received
        on documents.client_id = received.client_id
        and documents.category = received.category
    where (documents.documents_open > 0 and backlog_today.client_id is null)
        or coalesce(received.received_count, 0) <> documents.documents_total
)

select * from final
