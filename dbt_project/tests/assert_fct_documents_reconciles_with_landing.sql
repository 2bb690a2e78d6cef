-- Shown in Dagster as a check of fct_documents.
{{ config(meta={'dagster': {'ref': {'name': 'fct_documents'}}}) }}

-- fct_documents holds exactly the live documents of active clients in the landing zone,
-- recomputed here straight from the landed files (not through the intermediate models):
-- each document's latest version at or before the as-of instant (of a version landed twice,
-- its latest landing), not a tombstone, of a space whose latest version is ACTIVE; rows of a
-- batch the quality gate holds are out of the marts by design, so out of this count too.
-- A sort-based window and one outer join keep it within the engine's memory limit at tens
-- of millions of versions (hash set operations over every document did not, at 10M).
with landed_versions as (
    select
        document_id, space_id, deleted_at, accounting_status, category,
        row_number() over (
            partition by document_id
            order by updated_at desc, _batch_id desc, _extracted_at desc
        ) as recency_rank
    from {{ source('landing', 'documents') }} as landed
    where updated_at <= {{ as_of_timestamp() }}
        and {{ not_in_held_batch('documents', 'landed._batch_id') }}
),

landed_spaces as (
    select
        id, link_status,
        row_number() over (partition by id order by updated_at desc, _batch_id desc) as recency_rank
    from {{ source('landing', 'spaces') }} as landed
    where updated_at <= {{ as_of_timestamp() }}
        and {{ not_in_held_batch('spaces', 'landed._batch_id') }}
),

expected as (
    select
        landed_versions.document_id,
        landed_versions.space_id as client_id,
        landed_versions.category,
        landed_versions.accounting_status
    from landed_versions
    inner join landed_spaces
        on landed_versions.space_id = landed_spaces.id
        and landed_spaces.recency_rank = 1
        and landed_spaces.link_status = 'ACTIVE'
    where landed_versions.recency_rank = 1
        and landed_versions.deleted_at is null
),

actual as (
    select document_id, client_id, category, accounting_status
    from {{ ref('fct_documents') }}
),

compared as (
    select
        coalesce(expected.document_id, actual.document_id) as document_id,
        case
            when actual.document_id is null then 'missing from fct_documents'
            when expected.document_id is null then 'not live in the landing zone'
            else 'client, category or status differs from the landing zone'
        end as problem,
        expected.client_id as expected_client_id,
        actual.client_id,
        expected.category as expected_category,
        actual.category,
        expected.accounting_status as expected_accounting_status,
        actual.accounting_status
    from expected
    full outer join actual
        on expected.document_id = actual.document_id
    where expected.document_id is null
        or actual.document_id is null
        or expected.client_id <> actual.client_id
        or coalesce(expected.category, '') <> coalesce(actual.category, '')
        or coalesce(expected.accounting_status, '') <> coalesce(actual.accounting_status, '')
),

final as (
    select * from compared
)

select * from final
