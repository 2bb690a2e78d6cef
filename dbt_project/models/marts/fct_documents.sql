-- One row per live document of an active client.
with documents as (
    select * from {{ ref('int_documents_classified') }}
),

active_clients as (
    select client_id from {{ ref('int_clients_current') }}
    where is_active
),

periods as (
    select * from {{ ref('int_client_vat_periods') }}
),

categories as (
    select * from {{ ref('category_url_slugs') }}
),

joined as (
    select
        documents.*,
        periods.vat_period_start,
        categories.url_slug
    from documents
    inner join active_clients
        on documents.client_id = active_clients.client_id
    left join periods
        on documents.client_id = periods.client_id
        and documents.activity_date >= periods.vat_period_start
        and documents.activity_date <= periods.vat_period_end
    left join categories
        on documents.category = categories.category
),

final as (
    select
        cast(document_id as {{ type_text() }}) as document_id,
        cast(client_id as {{ type_text() }}) as client_id,
        cast(category as {{ type_text() }}) as category,
        cast(document_type as {{ type_text() }}) as document_type,
        cast(accounting_status as {{ type_text() }}) as accounting_status,
        cast(insights_status as {{ type_text() }}) as insights_status,
        cast(activity_date as date) as activity_date,
        cast(issue_date as date) as issue_date,
        cast(received_at as {{ type_instant() }}) as received_at,
        cast(received_date as date) as received_date,
        cast(processed_at as {{ type_instant() }}) as processed_at,
        cast(processed_date as date) as processed_date,
        cast(processed_by as {{ type_text() }}) as processed_by,
        cast(hours_to_process as {{ type_double() }}) as hours_to_process,
        cast(open_age_days as integer) as open_age_days,
        cast(vat_period_start as date) as vat_period_start,
        cast(
            {{ documents_url('client_id', 'url_slug', "coalesce(insights_status, 'all')") }}
            as {{ type_text() }}
        ) as action_url
    from joined
)

select * from final
