-- The live documents at the as-of instant: each document's latest version written at or
-- before as-of (the version whose successor, if any, was written after as-of), unless that
-- version is a tombstone. A filter on the version log, not a second sort of it.
with versions as (
    select * from {{ ref('int_document_versions') }}
    where updated_at <= {{ as_of_timestamp() }}
        and (next_updated_at is null or next_updated_at > {{ as_of_timestamp() }})
        and deleted_at is null
),

final as (
    select
        document_id,
        client_id,
        category,
        document_type,
        issue_date,
        received_at,
        received_date,
        accounting_status,
        accounting_status_changed_at,
        processed_at,
        processed_date,
        processed_by,
        updated_at,
        batch_id
    from versions
)

select * from final
