{{
    config(
        materialized=merge_materialization(),
        incremental_strategy='merge',
        unique_key=['document_id', 'updated_at'],
        on_schema_change='append_new_columns'
    )
}}

-- One row per observed document version: the time interval in which its status held.
-- A version's interval depends on the next version, so a new version changes its
-- predecessor's row: an incremental run recomputes every version of the documents that
-- received a new version and merges them on the version key. Versions are never removed
-- from the log, so the merge leaves no stale rows, and untouched documents are not read.
with versions as (
    select * from {{ ref('int_document_versions_deduplicated') }}
),

{% if is_incremental() %}
affected_documents as (
    -- documents with a version merged into the log since this model last ran
    select distinct document_id
    from versions
    where batch_id > (select coalesce(max(batch_id), '') from {{ this }})
),
{% endif %}

document_versions as (
    select
        versions.document_id,
        versions.client_id,
        versions.category,
        versions.accounting_status,
        versions.accounting_status_changed_at,
        versions.received_at,
        versions.updated_at,
        versions.deleted_at,
        versions.batch_id,
        row_number() over (
            partition by versions.document_id order by versions.updated_at
        ) as version_number
    from versions
    {% if is_incremental() %}
    inner join affected_documents
        on versions.document_id = affected_documents.document_id
    {% endif %}
),

starts as (
    select
        *,
        case
            -- a tombstone ends the document's status at its deletion
            when deleted_at is not null then deleted_at
            -- the first observed status holds from the document's arrival
            when version_number = 1 then coalesce(received_at, accounting_status_changed_at, updated_at)
            else coalesce(accounting_status_changed_at, updated_at)
        end as status_since
    from document_versions
),

monotonic as (
    select
        *,
        -- intervals never run backwards, even if a timestamp of a later version does
        max(status_since) over (
            partition by document_id order by updated_at
            rows between unbounded preceding and current row
        ) as valid_from
    from starts
),

final as (
    select
        document_id,
        client_id,
        category,
        case when deleted_at is null then accounting_status end as accounting_status,
        deleted_at is not null as is_deleted,
        version_number,
        updated_at,
        valid_from,
        lead(valid_from) over (partition by document_id order by updated_at) as valid_to,
        lead(updated_at) over (partition by document_id order by updated_at) as next_updated_at,
        batch_id
    from monotonic
)

select * from final
