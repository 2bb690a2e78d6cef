-- Live documents with the contract's derived fields: insights status (from the seed),
-- activity date, processing time and the age of open work.
with documents as (
    select * from {{ ref('int_documents_latest') }}
),

status_map as (
    select * from {{ ref('accounting_status_to_insights_status') }}
),

categories as (
    select * from {{ ref('category_url_slugs') }}
),

classified as (
    select
        documents.*,
        -- categories outside the accounting flow (OTHER) are shown as a total only
        case
            when categories.has_status_breakdown then status_map.insights_status
        end as insights_status,
        coalesce(documents.issue_date, documents.received_date) as activity_date
    from documents
    left join categories
        on documents.category = categories.category
    left join status_map
        on documents.accounting_status = status_map.accounting_status
),

final as (
    select
        document_id,
        client_id,
        category,
        document_type,
        accounting_status,
        insights_status,
        activity_date,
        issue_date,
        received_at,
        received_date,
        processed_at,
        processed_date,
        processed_by,
        case
            when insights_status = 'processed'
                then {{ elapsed_hours('received_at', 'processed_at') }}
        end as hours_to_process,
        case
            when insights_status in ('accountant_action_needed', 'client_action_needed')
                then {{ dbt.datediff('received_date', as_of_date(), 'day') }}
        end as open_age_days,
        updated_at
    from classified
)

select * from final
