{{ config(materialized='table') }}

-- The live documents at the as-of instant: each document's latest version (largest
-- updated_at) written at or before as-of, unless that version is a tombstone.
with versions as (
    select * from {{ ref('int_document_versions_deduplicated') }}
    -- versions written after the as-of instant are not yet part of the figures (backfills)
    where updated_at <= {{ as_of_timestamp() }}
),

ranked as (
    select
        *,
        row_number() over (partition by document_id order by updated_at desc) as recency_rank
    from versions
),

final as (
    select
        document_id,
        client_id,
        category,
        document_type,
        document_number,
        issue_date,
        due_date,
        received_at,
        received_date,
        intake_channel,
        business_status,
        accounting_status,
        accounting_status_changed_at,
        processed_at,
        processed_date,
        processed_by,
        currency,
        total_excl_vat,
        vat_amount,
        total_incl_vat,
        counterparty_name,
        created_at,
        updated_at,
        batch_id
    from ranked
    where recency_rank = 1
        and deleted_at is null
)

select * from final
