-- One row per active client x category x activity date with at least one live document.
with documents as (
    select * from {{ ref('fct_documents') }}
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
