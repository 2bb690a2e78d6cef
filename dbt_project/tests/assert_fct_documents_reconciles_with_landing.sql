-- Shown in Dagster as a check of fct_documents.
{{ config(meta={'dagster': {'ref': {'name': 'fct_documents'}}}) }}

-- fct_documents holds exactly the live documents of active clients in the landing zone,
-- recomputed here straight from the landed files (not through the intermediate models):
-- each document's latest version at or before the as-of instant, not a tombstone, of a
-- space whose latest version is ACTIVE.
with landed_versions as (
    select document_id, space_id, updated_at, deleted_at, accounting_status, category
    from {{ source('landing', 'documents') }}
    where updated_at <= {{ as_of_timestamp() }}
),

latest_updates as (
    select document_id, max(updated_at) as updated_at
    from landed_versions
    group by document_id
),

latest_versions as (
    select distinct
        landed_versions.document_id,
        landed_versions.space_id,
        landed_versions.deleted_at,
        landed_versions.accounting_status,
        landed_versions.category
    from landed_versions
    inner join latest_updates
        on landed_versions.document_id = latest_updates.document_id
        and landed_versions.updated_at = latest_updates.updated_at
),

landed_spaces as (
    select id, link_status, updated_at
    from {{ source('landing', 'spaces') }}
    where updated_at <= {{ as_of_timestamp() }}
),

active_spaces as (
    select distinct landed_spaces.id
    from landed_spaces
    inner join (
        select id, max(updated_at) as updated_at from landed_spaces group by id
    ) as latest
        on landed_spaces.id = latest.id
        and landed_spaces.updated_at = latest.updated_at
    where landed_spaces.link_status = 'ACTIVE'
),

expected as (
    select latest_versions.document_id, latest_versions.space_id as client_id,
        latest_versions.category, latest_versions.accounting_status
    from latest_versions
    inner join active_spaces
        on latest_versions.space_id = active_spaces.id
    where latest_versions.deleted_at is null
),

actual as (
    select document_id, client_id, category, accounting_status
    from {{ ref('fct_documents') }}
),

missing as (
    select 'missing from fct_documents' as problem, * from (
        select * from expected
        {{ dbt.except() }}
        select * from actual
    ) as differences
),

unexpected as (
    select 'not live in the landing zone' as problem, * from (
        select * from actual
        {{ dbt.except() }}
        select * from expected
    ) as differences
),

final as (
    select * from missing
    union all
    select * from unexpected
)

select * from final
