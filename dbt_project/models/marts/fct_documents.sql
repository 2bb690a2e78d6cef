{{
    config(
        materialized=replace_affected_materialization(),
        incremental_strategy='replace_affected',
        unique_key='document_id',
        on_schema_change='fail',
        pre_hook="{{ prepare_affected_documents() }}",
        post_hook="{{ record_incremental_mark() }}"
    )
}}
-- depends_on: {{ ref('int_document_versions') }}
-- depends_on: {{ ref('accounting_status_to_insights_status') }}
-- depends_on: {{ ref('category_url_slugs') }}
-- depends_on: {{ ref('vat_filing_frequencies') }}
-- depends_on: {{ ref('int_clients_current') }}

-- One row per live document of an active client.
--
-- Merged on what changed (macros/incremental_marts.sql): an incremental build recomputes the
-- documents that may have changed since the last build (and the open ones when the as-of date
-- moved, for their age) and keeps every other row.
with documents as (
    select * from {{ ref('int_documents_classified') }}
    {%- if is_incremental() %}
    where document_id in (select document_id from {{ affected_relation(this) }})
    {%- endif %}
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
