{{
    config(
        materialized=replace_affected_materialization(),
        incremental_strategy='replace_affected',
        unique_key='document_id',
        on_schema_change='fail',
        pre_hook="{{ prepare_affected_backlog_documents() }}",
        post_hook="{{ record_incremental_mark() }}"
    )
}}
-- depends_on: {{ ref('int_document_versions') }}
-- depends_on: {{ ref('fct_documents') }}
-- depends_on: {{ ref('accounting_status_to_insights_status') }}
-- depends_on: {{ ref('category_url_slugs') }}
-- depends_on: {{ ref('vat_filing_frequencies') }}
-- depends_on: {{ ref('int_clients_current') }}

-- What each document adds to the daily backlog (fct_client_backlog_daily) of its client x
-- category (OTHER excluded): rows of changes per document, category and day (a day may hold
-- several). The open counts change by +1 on the first day a status interval is open at the end
-- of the day and by -1 on the first day it is not; an interval still open at the as-of
-- instant has no end. The backlog's count on day D is the sum of the changes up to D.
--
-- Rows are the same whatever the as-of instant, except for documents with a version after
-- it (the version log moves over them) and reconstructions cut at the as-of instant
-- (depends_on_as_of), so the table is merged on what changed (macros/incremental_marts.sql)
-- and the backlog recomputes only the days after each client x category's earliest change.
with versions as (
    select * from {{ ref('int_document_versions') }}
    where updated_at <= {{ as_of_timestamp() }}
    {%- if is_incremental() %}
        and document_id in (select document_id from {{ affected_relation(this) }})
    {%- endif %}
),

status_map as (
    select * from {{ ref('accounting_status_to_insights_status') }}
),

categories as (
    select category from {{ ref('category_url_slugs') }}
    where has_status_breakdown
),

open_intervals as (
    -- The state at the end of day D is the interval holding the last instant of D; on the
    -- as-of date the as-of instant itself, so a version written after as-of
    -- (next_updated_at) does not end the interval.
    select
        versions.document_id,
        versions.client_id,
        versions.category,
        status_map.insights_status,
        {{ local_date('versions.valid_from') }} as first_day,
        case
            when versions.valid_to is null or versions.next_updated_at > {{ as_of_timestamp() }}
                then null
            else {{ local_date('versions.valid_to') }}
        end as end_day
    from versions
    inner join status_map
        on versions.accounting_status = status_map.accounting_status
    inner join categories
        on versions.category = categories.category
    where versions.deleted_at is null
        and status_map.insights_status in ('accountant_action_needed', 'client_action_needed')
),

-- The reconstruction of the time before each document's first observed version:
-- - first seen PROCESSED: open from received_at until processed_at, waiting for the
--   accountant (which part waited for the client is not recorded). A document created
--   already processed (a migrated history, created_at at or after processed_at) was never
--   open here and stays as observed.
-- - first seen waiting for the accountant, its status set after received_at: until that
--   change it waited for the client (the approval that hands a document to the accountant).
-- - first seen waiting for the client, deleted, or without a status: as observed.
-- A document re-opened before it was first observed is still counted open throughout.
first_versions as (
    -- created_at comes with the version log: a join back to the landing here read every
    -- landed file on every run, the backlog's largest cost at 10M documents
    select
        *,
        -- the reconstruction never reaches into the next observed version
        coalesce(valid_to, {{ as_of_timestamp() }}) as valid_from_end
    from versions
    where version_number = 1
        and deleted_at is null
        and received_at is not null
),

reconstructed as (
    select
        first_versions.document_id,
        first_versions.client_id,
        first_versions.category,
        first_versions.received_at,
        case
            when status_map.insights_status = 'processed'
                then least(coalesce(first_versions.processed_at, first_versions.valid_from_end), first_versions.valid_from_end)
            else least(first_versions.accounting_status_changed_at, first_versions.valid_from_end)
        end as reconstructed_until,
        case when status_map.insights_status = 'processed' then 1 else -1 end as accountant_change,
        case when status_map.insights_status = 'processed' then 0 else 1 end as client_change
    from first_versions
    inner join status_map
        on first_versions.accounting_status = status_map.accounting_status
    inner join categories
        on first_versions.category = categories.category
    where (
            status_map.insights_status = 'processed'
            and not coalesce(first_versions.created_at >= first_versions.processed_at, false)
        ) or (
            status_map.insights_status = 'accountant_action_needed'
            and first_versions.accounting_status_changed_at > first_versions.received_at
        )
),

reconstruction_spans as (
    -- the end of day D lies in [received_at, until) when local_date(received_at) <= D <
    -- local_date(until); an interval reaching past the as-of instant holds through the
    -- as-of date. An interval cut at the as-of instant ends on the as-of date, so it moves
    -- with the as-of: depends_on_as_of.
    select
        document_id,
        client_id,
        category,
        accountant_change,
        client_change,
        {{ local_date('received_at') }} as first_day,
        case
            when reconstructed_until > {{ as_of_timestamp() }} then null
            else {{ local_date('reconstructed_until') }}
        end as end_day,
        reconstructed_until >= {{ as_of_timestamp() }} as depends_on_as_of
    from reconstructed
    where reconstructed_until > received_at
),

live_documents as (
    select document_id, client_id, category, received_date, processed_date
    from {{ ref('fct_documents') }}
    where category in (select category from categories)
    {%- if is_incremental() %}
        and document_id in (select document_id from {{ affected_relation(this) }})
    {%- endif %}
),

changes as (
    -- document_id, client_id, category, event_date, then the six changes and the flag
    select document_id, client_id, category, first_day as event_date,
        {{ status_is('insights_status', 'accountant_action_needed') }} as accountant_change,
        {{ status_is('insights_status', 'client_action_needed') }} as client_change,
        0 as received_count, 0 as processed_count,
        0 as reconstructed_accountant_change, 0 as reconstructed_client_change,
        false as depends_on_as_of
    from open_intervals
    where end_day is null or first_day < end_day
    union all
    select document_id, client_id, category, end_day,
        {{ status_is('insights_status', 'accountant_action_needed', -1) }},
        {{ status_is('insights_status', 'client_action_needed', -1) }},
        0, 0, 0, 0, false
    from open_intervals
    where first_day < end_day
    union all
    -- an empty span of a document whose span moves with the as-of keeps a row for its flag
    select document_id, client_id, category, first_day, 0, 0, 0, 0,
        case when end_day is null or first_day < end_day then accountant_change else 0 end,
        case when end_day is null or first_day < end_day then client_change else 0 end,
        depends_on_as_of
    from reconstruction_spans
    where end_day is null or first_day < end_day or depends_on_as_of
    union all
    select document_id, client_id, category, end_day, 0, 0, 0, 0,
        -accountant_change, -client_change, false
    from reconstruction_spans
    where first_day < end_day
    union all
    select document_id, client_id, category, received_date, 0, 0, 1, 0, 0, 0, false
    from live_documents
    union all
    select document_id, client_id, category, processed_date, 0, 0, 0, 1, 0, 0, false
    from live_documents
    where processed_date is not null
),

final as (
    -- Not grouped per day: the backlog sums the rows anyway, and at 10M documents a group-by
    -- over every document x day holds more state than the memory limit allows.
    select
        cast(document_id as {{ type_text() }}) as document_id,
        cast(client_id as {{ type_text() }}) as client_id,
        cast(category as {{ type_text() }}) as category,
        cast(event_date as date) as event_date,
        cast(accountant_change as bigint) as accountant_change,
        cast(client_change as bigint) as client_change,
        cast(received_count as bigint) as received_count,
        cast(processed_count as bigint) as processed_count,
        cast(reconstructed_accountant_change as bigint) as reconstructed_accountant_change,
        cast(reconstructed_client_change as bigint) as reconstructed_client_change,
        depends_on_as_of
    from changes
    where event_date is not null
)

select * from final
-- a row that changes nothing is left out, unless it keeps the as-of flag of a document
where accountant_change <> 0 or client_change <> 0 or received_count <> 0
    or processed_count <> 0 or reconstructed_accountant_change <> 0
    or reconstructed_client_change <> 0 or depends_on_as_of
