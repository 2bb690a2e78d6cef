-- Shown in Dagster as a check of mart_client_overview.
{{ config(meta={'dagster': {'ref': {'name': 'mart_client_overview'}}}) }}

-- mart_client_overview has exactly the active clients, and its counts equal fct_documents:
-- the total with OTHER, the three status counts without it.
with overview as (
    select * from {{ ref('mart_client_overview') }}
),

active_clients as (
    select client_id from {{ ref('dim_clients') }}
    where is_active
),

documents as (
    select
        client_id,
        count(*) as documents_total,
        {{ status_counts('insights_status') }}
    from {{ ref('fct_documents') }}
    group by client_id
),

expected as (
    select
        active_clients.client_id,
        coalesce(documents.documents_total, 0) as documents_total,
        coalesce(documents.documents_processed, 0) as documents_processed,
        coalesce(documents.documents_accountant_action_needed, 0) as documents_accountant_action_needed,
        coalesce(documents.documents_client_action_needed, 0) as documents_client_action_needed
    from active_clients
    left join documents
        on active_clients.client_id = documents.client_id
),

final as (
    select
        coalesce(overview.client_id, expected.client_id) as client_id,
        overview.documents_total as overview_total,
        expected.documents_total as expected_total
    from overview
    full outer join expected
        on overview.client_id = expected.client_id
    where overview.client_id is null
        or expected.client_id is null
        or overview.documents_total <> expected.documents_total
        or overview.documents_processed <> expected.documents_processed
        or overview.documents_accountant_action_needed <> expected.documents_accountant_action_needed
        or overview.documents_client_action_needed <> expected.documents_client_action_needed
)

select * from final
