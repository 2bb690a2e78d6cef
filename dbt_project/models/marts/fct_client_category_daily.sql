{{
    config(
        materialized=replace_affected_materialization(),
        incremental_strategy='replace_affected',
        unique_key=['client_id', 'category', 'activity_date'],
        on_schema_change='fail',
        pre_hook="{{ prepare_affected_daily_keys() }}",
        post_hook="{{ record_incremental_mark() }}"
    )
}}
-- depends_on: {{ ref('int_document_versions') }}
-- depends_on: {{ ref('accounting_status_to_insights_status') }}
-- depends_on: {{ ref('category_url_slugs') }}
-- depends_on: {{ ref('vat_filing_frequencies') }}
-- depends_on: {{ ref('int_clients_current') }}

-- One row per active client x category x activity date with at least one live document.
--
-- Merged on what changed (macros/incremental_marts.sql): an incremental build recomputes the
-- client x category x activity date keys any version of a changed document had, and keeps
-- every other row.
with documents as (
    select documents.* from {{ ref('fct_documents') }} as documents
    {%- if is_incremental() %}
    inner join {{ affected_relation(this) }} as affected
        on documents.client_id = affected.client_id
        and documents.category = affected.category
        and documents.activity_date is not distinct from affected.activity_date
    {%- endif %}
),

categories as (
    select * from {{ ref('category_url_slugs') }}
),

daily as (
    select
        documents.client_id,
        documents.category,
        documents.activity_date,
        count(*) as documents_total,
        {{ status_counts('documents.insights_status') }}
    from documents
    group by documents.client_id, documents.category, documents.activity_date
),

final as (
    select
        cast(daily.client_id as {{ type_text() }}) as client_id,
        cast(daily.category as {{ type_text() }}) as category,
        cast(daily.activity_date as date) as activity_date,
        cast(daily.documents_total as bigint) as documents_total,
        -- categories shown as a total only (OTHER) have no status counts
        cast(case when categories.has_status_breakdown then daily.documents_processed end as bigint)
            as documents_processed,
        cast(case when categories.has_status_breakdown then daily.documents_accountant_action_needed end as bigint)
            as documents_accountant_action_needed,
        cast(case when categories.has_status_breakdown then daily.documents_client_action_needed end as bigint)
            as documents_client_action_needed,
        cast({{ documents_url('daily.client_id', 'categories.url_slug', "'all'") }} as {{ type_text() }}) as action_url,
        -- the per-status links of the counts that ask for action (none for OTHER: no statuses)
        cast(case when categories.has_status_breakdown then
            {{ documents_url('daily.client_id', 'categories.url_slug', "'accountant_action_needed'") }}
        end as {{ type_text() }}) as action_url_accountant_action_needed,
        cast(case when categories.has_status_breakdown then
            {{ documents_url('daily.client_id', 'categories.url_slug', "'client_action_needed'") }}
        end as {{ type_text() }}) as action_url_client_action_needed
    from daily
    left join categories
        on daily.category = categories.category
)

select * from final
