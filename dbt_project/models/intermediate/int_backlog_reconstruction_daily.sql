-- A table, not a view: seven data tests and the backlog mart read it, and as a view each of
-- them recomputed it (2.5 s of the demo build's 9.9 s of test time).
{{ config(materialized='table') }}

-- How reconstructing each document's history before its first observed version changes the
-- observed open counts of fct_client_backlog_daily: one row per client x category (OTHER
-- excluded) x day on which the change is not zero, with the change of each open count.
--
-- The observed counts let the first observed version's status hold from received_at. What
-- that first version says allows a closer reconstruction of the time before it:
-- - first seen PROCESSED: the document was open from received_at until processed_at, and
--   is counted as waiting for the accountant then (which part of it waited for the client is
--   not recorded). A document created already processed (a migrated history, created_at at
--   or after processed_at) was never open here and stays as observed.
-- - first seen waiting for the accountant, its status set after received_at: until that
--   change it waited for the client (the approval that hands a document to the accountant).
-- - first seen waiting for the client, deleted, or without a status: as observed.
-- A document re-opened before it was first observed is still counted open throughout.
with first_versions as (
    select *
    from {{ ref('int_document_versions') }}
    where version_number = 1
        and updated_at <= {{ as_of_timestamp() }}
        and deleted_at is null
        and received_at is not null
),

status_map as (
    select * from {{ ref('accounting_status_to_insights_status') }}
),

categories as (
    select category from {{ ref('category_url_slugs') }}
    where has_status_breakdown
),

created as (
    -- created_at is the same in every version; only first versions need it
    select landed.document_id, min(landed.created_at) as created_at
    from {{ ref('stg_landing__documents') }} as landed
    inner join first_versions
        on landed.document_id = first_versions.document_id
        and landed.updated_at = first_versions.updated_at
    group by landed.document_id
),

reconstructed as (
    -- one interval [received_at, until) per document whose reconstruction differs
    select
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
    from (
        select
            *,
            -- the reconstruction never reaches into the next observed version
            coalesce(valid_to, {{ as_of_timestamp() }}) as valid_from_end
        from first_versions
    ) as first_versions
    inner join status_map
        on first_versions.accounting_status = status_map.accounting_status
    inner join categories
        on first_versions.category = categories.category
    left join created
        on first_versions.document_id = created.document_id
    where (
            status_map.insights_status = 'processed'
            and not coalesce(created.created_at >= first_versions.processed_at, false)
        ) or (
            status_map.insights_status = 'accountant_action_needed'
            and first_versions.accounting_status_changed_at > first_versions.received_at
        )
),

day_spans as (
    -- the end of day D lies in [from, until) when local_date(from) <= D < local_date(until)
    select
        client_id,
        category,
        accountant_change,
        client_change,
        {{ local_date('received_at') }} as first_day,
        case
            -- as on the observed side: the as-of date's count is the state at the as-of instant
            when reconstructed_until > {{ as_of_timestamp() }} then {{ as_of_date() }}
            else {{ add_days(local_date('reconstructed_until'), -1) }}
        end as last_day
    from reconstructed
    where reconstructed_until > received_at
),

events as (
    select client_id, category, first_day as event_date,
        accountant_change, client_change
    from day_spans
    where first_day <= last_day
    union all
    select client_id, category, {{ add_days('last_day', 1) }},
        -accountant_change, -client_change
    from day_spans
    where first_day <= last_day
),

daily_events as (
    select client_id, category, event_date,
        sum(accountant_change) as accountant_change, sum(client_change) as client_change
    from events
    where event_date <= {{ as_of_date() }}
    group by client_id, category, event_date
),

segments as (
    select
        client_id,
        category,
        event_date,
        sum(accountant_change) over (
            partition by client_id, category order by event_date
            rows between unbounded preceding and current row
        ) as accountant_delta,
        sum(client_change) over (
            partition by client_id, category order by event_date
            rows between unbounded preceding and current row
        ) as client_delta,
        {{ dbt.datediff(
            'event_date',
            'coalesce(lead(event_date) over (partition by client_id, category order by event_date), '
                ~ add_days(as_of_date(), 1) ~ ')',
            'day'
        ) }} as days_held
    from daily_events
),

nonzero_segments as (
    select * from segments
    where accountant_delta <> 0 or client_delta <> 0
),

segment_days as (
    {{ repeat_per_day_offset('nonzero_segments', 'days_held') }}
)

select
    client_id,
    category,
    cast({{ add_days('event_date', 'day_offset') }} as date) as calendar_date,
    cast(accountant_delta as bigint) as accountant_delta,
    cast(client_delta as bigint) as client_delta
from segment_days
