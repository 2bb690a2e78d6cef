-- One row per active client x VAT period holding at least one live non-OTHER document.
with documents as (
    select * from {{ ref('fct_documents') }}
),

categories as (
    select * from {{ ref('category_url_slugs') }}
),

periods as (
    select * from {{ ref('int_client_vat_periods') }}
),

period_documents as (
    select
        periods.client_id,
        periods.vat_period_start,
        periods.vat_period_end,
        periods.filing_deadline,
        documents.insights_status,
        documents.processed_date,
        documents.hours_to_process
    from documents
    inner join categories
        on documents.category = categories.category
    inner join periods
        on documents.client_id = periods.client_id
        and documents.vat_period_start = periods.vat_period_start
    where categories.has_status_breakdown
),

aggregated as (
    select
        client_id,
        vat_period_start,
        vat_period_end,
        filing_deadline,
        count(*) as documents_total,
        {{ status_counts('insights_status', {'processed': 'documents_processed'}) }},
        sum(case when processed_date <= filing_deadline then 1 else 0 end) as processed_by_deadline,
        {{ percentile_cont('hours_to_process', 0.5) }} as median_hours_to_process,
        {{ percentile_cont('hours_to_process', 0.9) }} as p90_hours_to_process
    from period_documents
    group by client_id, vat_period_start, vat_period_end, filing_deadline
),

final as (
    select
        cast(client_id as {{ type_text() }}) as client_id,
        cast(vat_period_start as date) as vat_period_start,
        cast(vat_period_end as date) as vat_period_end,
        cast(filing_deadline as date) as filing_deadline,
        cast(documents_total as bigint) as documents_total,
        cast(documents_processed as bigint) as documents_processed,
        cast(processed_by_deadline as bigint) as processed_by_deadline,
        cast(documents_total - documents_processed as bigint) as documents_open,
        cast(documents_processed as {{ type_double() }}) / documents_total as pct_processed,
        cast(median_hours_to_process as {{ type_double() }}) as median_hours_to_process,
        cast(p90_hours_to_process as {{ type_double() }}) as p90_hours_to_process,
        cast(
            case
                when documents_total = documents_processed then 'complete'
                when filing_deadline < {{ as_of_date() }} then 'overdue'
                else 'open'
            end as {{ type_text() }}
        ) as period_state
    from aggregated
)

select * from final
