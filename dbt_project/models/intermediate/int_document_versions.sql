{{
    config(
        materialized=merge_materialization(),
        incremental_strategy='merge',
        unique_key=['document_id', 'updated_at'],
        on_schema_change='append_new_columns'
    )
}}

-- The version log: one row per document version, each once, with the time interval in
-- which its status held. One table serves both the live documents (the version whose next
-- version comes after as-of) and the backlog (the intervals), so the 35M versions of a
-- large firm are sorted and stored once.
--
-- Incremental: an interval depends on the next version, so a run recomputes every version
-- of the documents that received a new landing since the newest batch merged so far: their
-- new landings plus their versions already in this table, merged on the version key.
-- Versions never leave the log, so the merge leaves no stale rows and equals a full build.
--
-- Only the columns the marts derive from are kept: storing the log is most of its cost, and
-- the other landed fields (amounts, counterparty, ...) stay in the landing zone for audits.
{%- set version_columns = [
    'document_id', 'client_id', 'category', 'document_type', 'issue_date', 'received_at',
    'received_date', 'accounting_status', 'accounting_status_changed_at', 'processed_at',
    'processed_date', 'processed_by', 'created_at', 'updated_at', 'deleted_at', 'batch_id',
    'extracted_at'
] %}
{#- A log written before a column was kept lacks it (append_new_columns adds it empty): that
    one run reads every landing, and the merge fills the column in every row. -#}
{%- set reads_new_landings_only = is_incremental() %}
{%- if reads_new_landings_only and execute %}
    {%- set logged_columns = adapter.get_columns_in_relation(this)
        | map(attribute='name') | map('lower') | list %}
    {%- set reads_new_landings_only = version_columns | reject('in', logged_columns)
        | list | length == 0 %}
{%- endif %}

with

{% if reads_new_landings_only %}
{%- set released_batches = released_document_batches(this) %}
new_landings as (
    -- The landing zone is append-only and batch ids sort by time: only batches landed after
    -- the newest one merged so far are read (Parquet statistics skip the rest), and any
    -- batch released from the quality gate's hold since then (older, so named here).
    select * from {{ ref('stg_landing__documents') }}
    where batch_id > (select coalesce(max(batch_id), '') from {{ this }})
    {%- if released_batches %}
        or batch_id in ('{{ released_batches | join("', '") }}')
    {%- endif %}
),

affected_documents as (
    select distinct document_id from new_landings
),

landings as (
    select {{ version_columns | join(', ') }} from new_landings
    union all
    select {% for column in version_columns -%}
        logged.{{ column }}{{ ', ' if not loop.last }}
    {%- endfor %}
    from {{ this }} as logged
    inner join affected_documents
        on logged.document_id = affected_documents.document_id
),
{% else %}
landings as (
    select {{ version_columns | join(', ') }} from {{ ref('stg_landing__documents') }}
),
{% endif %}

ranked_landings as (
    -- Two sorts of the versions, not four: one orders each document's landings by version,
    -- a version's latest landing first (a version landed twice keeps its latest landing, in
    -- a full and an incremental run alike); the other orders the kept versions, and its
    -- running start has the same partition and order.
    select
        *,
        lag(updated_at) over landing_order is distinct from updated_at as is_latest_landing,
        row_number() over landing_order = 1 as is_first_version
    from landings
    window landing_order as (
        partition by document_id order by updated_at, batch_id desc, extracted_at desc
    )
),

starts as (
    select
        *,
        case
            -- a tombstone ends the document's status at its deletion
            when deleted_at is not null then deleted_at
            -- the first observed status holds from the document's arrival
            when is_first_version then coalesce(received_at, accounting_status_changed_at, updated_at)
            else coalesce(accounting_status_changed_at, updated_at)
        end as status_since
    from ranked_landings
    where is_latest_landing
),

intervals as (
    select
        *,
        row_number() over version_order as version_number,
        -- intervals never run backwards, even if a timestamp of a later version does
        -- (the window spelled out: Spark takes no frame added to a named window)
        max(status_since) over (
            partition by document_id order by updated_at
            rows between unbounded preceding and current row
        ) as valid_from,
        lead(status_since) over version_order as next_status_since,
        lead(updated_at) over version_order as next_updated_at
    from starts
    window version_order as (partition by document_id order by updated_at)
),

final as (
    select
        {{ version_columns | join(', ') }},
        version_number,
        valid_from,
        -- the next version's start: its own status start, never before this one's
        case
            when next_updated_at is not null then greatest(valid_from, next_status_since)
        end as valid_to,
        next_updated_at
    from intervals
)

select * from final
