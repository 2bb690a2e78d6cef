-- Shown in Dagster as a check of mart_vat_period_progress.
{{ config(meta={'dagster': {'ref': {'name': 'mart_vat_period_progress'}}}) }}

-- Every non-OTHER live document of a client that files VAT is counted in exactly one row of
-- mart_vat_period_progress, and each row's period holds its documents' activity dates.
with periods as (
    select * from {{ ref('mart_vat_period_progress') }}
),

documents as (
    select documents.*
    from {{ ref('fct_documents') }} as documents
    inner join {{ ref('category_url_slugs') }} as categories
        on documents.category = categories.category
    inner join {{ ref('dim_clients') }} as clients
        on documents.client_id = clients.client_id
    where categories.has_status_breakdown
        and clients.vat_filing_frequency <> 'NONE'
),

per_period as (
    select
        documents.client_id,
        documents.vat_period_start,
        count(*) as documents_total,
        {{ status_counts('documents.insights_status', {'processed': 'documents_processed'}) }},
        min(documents.activity_date) as first_activity_date,
        max(documents.activity_date) as last_activity_date
    from documents
    group by documents.client_id, documents.vat_period_start
),

final as (
    select
        coalesce(periods.client_id, per_period.client_id) as client_id,
        coalesce(periods.vat_period_start, per_period.vat_period_start) as vat_period_start,
        periods.documents_total as mart_total,
        per_period.documents_total as documents_total
    from periods
    full outer join per_period
        on periods.client_id = per_period.client_id
        and periods.vat_period_start = per_period.vat_period_start
    where periods.client_id is null
        or per_period.client_id is null
        or periods.documents_total <> per_period.documents_total
        or periods.documents_processed <> per_period.documents_processed
        or periods.documents_open <> periods.documents_total - periods.documents_processed
        or per_period.first_activity_date < periods.vat_period_start
        or per_period.last_activity_date > periods.vat_period_end
)

select * from final
