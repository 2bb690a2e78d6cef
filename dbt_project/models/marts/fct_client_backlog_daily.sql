{{
    config(
        materialized=replace_affected_materialization(),
        incremental_strategy='replace_affected',
        unique_key=['client_id', 'category'],
        replace_from_column='calendar_date',
        on_schema_change='fail',
        pre_hook="{{ prepare_backlog_replace_from() }}",
        post_hook=["{{ mark_backlog_history_observed() }}",
                   "{{ record_incremental_mark(backlog_client_state_sql()) }}"]
    )
}}
-- depends_on: {{ ref('int_document_versions') }}
-- depends_on: {{ ref('accounting_status_to_insights_status') }}
-- depends_on: {{ ref('vat_filing_frequencies') }}

-- One row per active client x category (OTHER excluded) x calendar day, from the client's
-- first received date to the as-of date: the sums, day by day, of what each document adds
-- (int_backlog_document_events).
--
-- Merged on what changed (macros/incremental_backlog.sql): an incremental build recomputes
-- each client x category from the first day its documents' changes differ (or the day after
-- the last build's as-of date), carrying the open counts the last build left on the day
-- before, and keeps the earlier days.
with active_clients as (
    select client_id from {{ ref('int_clients_current') }}
    where is_active
),

categories as (
    -- categories shown as a total only (OTHER) have no backlog
    select category from {{ ref('category_url_slugs') }}
    where has_status_breakdown
),

client_ranges as (
    select
        observed.client_id,
        observed.first_received_date,
        observed.history_observed_from
    from {{ ref('int_client_history_observed') }} as observed
    inner join active_clients
        on observed.client_id = active_clients.client_id
    where observed.first_received_date is not null
),

client_categories as (
    -- each client x category to compute, and its first day to compute
    {%- if is_incremental() %}
    select
        client_ranges.client_id,
        categories.category,
        client_ranges.first_received_date,
        greatest(affected.replace_from, client_ranges.first_received_date) as from_date
    from {{ affected_relation(this) }} as affected
    inner join client_ranges
        on affected.client_id = client_ranges.client_id
    inner join categories
        on affected.category = categories.category
    {%- else %}
    select
        client_ranges.client_id,
        categories.category,
        client_ranges.first_received_date,
        client_ranges.first_received_date as from_date
    from client_ranges
    cross join categories
    {%- endif %}
),

client_categories_in_range as (
    select * from client_categories
    where from_date <= {{ as_of_date() }}
),

carried as (
    -- the counts at the end of the day before from_date, as the last build left them
    {%- if is_incremental() %}
    select
        span.client_id,
        span.category,
        stored.open_accountant_action_eod as accountant_open,
        stored.open_client_action_eod as client_open,
        stored.open_accountant_action_eod_reconstructed - stored.open_accountant_action_eod
            as reconstructed_accountant_delta,
        stored.open_client_action_eod_reconstructed - stored.open_client_action_eod
            as reconstructed_client_delta
    from client_categories_in_range as span
    inner join {{ this }} as stored
        on span.client_id = stored.client_id
        and span.category = stored.category
        and stored.calendar_date = {{ add_days('span.from_date', -1) }}
    where span.from_date > span.first_received_date
    {%- else %}
    select
        client_id, category, 0 as accountant_open, 0 as client_open,
        0 as reconstructed_accountant_delta, 0 as reconstructed_client_delta
    from client_categories_in_range
    where false
    {%- endif %}
),

changes as (
    -- Changes before the client's first day count from that day on (an interval opened
    -- before it is open on it); documents received or processed before it are not counted.
    select
        events.client_id,
        events.category,
        greatest(events.event_date, span.first_received_date) as event_date,
        events.accountant_change,
        events.client_change,
        case when events.event_date >= span.first_received_date then events.received_count else 0 end
            as received_count,
        case when events.event_date >= span.first_received_date then events.processed_count else 0 end
            as processed_count,
        events.reconstructed_accountant_change,
        events.reconstructed_client_change
    from {{ ref('int_backlog_document_events') }} as events
    inner join client_categories_in_range as span
        on events.client_id = span.client_id
        and events.category = span.category
    where events.event_date <= {{ as_of_date() }}
        and (span.from_date = span.first_received_date or events.event_date >= span.from_date)
    union all
    -- each key starts on its first day to compute, from the counts of the day before
    select
        span.client_id,
        span.category,
        span.from_date,
        coalesce(carried.accountant_open, 0),
        coalesce(carried.client_open, 0),
        0,
        0,
        coalesce(carried.reconstructed_accountant_delta, 0),
        coalesce(carried.reconstructed_client_delta, 0)
    from client_categories_in_range as span
    left join carried
        on span.client_id = carried.client_id
        and span.category = carried.category
),

daily_changes as (
    select
        client_id,
        category,
        event_date,
        sum(accountant_change) as accountant_change,
        sum(client_change) as client_change,
        sum(received_count) as received_count,
        sum(processed_count) as processed_count,
        sum(reconstructed_accountant_change) as reconstructed_accountant_change,
        sum(reconstructed_client_change) as reconstructed_client_change
    from changes
    group by client_id, category, event_date
),

segments as (
    -- Only the days on which something changes; each holds its counts until the day before
    -- the next one (or the as-of date), so the spine is expanded once at the end instead of
    -- being joined and windowed row by row.
    select
        client_id,
        category,
        event_date,
        received_count,
        processed_count,
        sum(accountant_change) over running as open_accountant_action_eod,
        sum(client_change) over running as open_client_action_eod,
        sum(reconstructed_accountant_change) over running as reconstructed_accountant_delta,
        sum(reconstructed_client_change) over running as reconstructed_client_delta,
        {{ dbt.datediff(
            'event_date',
            'coalesce(lead(event_date) over (partition by client_id, category order by event_date), '
                ~ add_days(as_of_date(), 1) ~ ')',
            'day'
        ) }} as days_held
    from daily_changes
    window running as (
        partition by client_id, category order by event_date
        rows between unbounded preceding and current row
    )
),

segment_days as (
    {{ repeat_per_day_offset('segments', 'days_held') }}
),

final as (
    select
        cast(segment_days.client_id as {{ type_text() }}) as client_id,
        cast(segment_days.category as {{ type_text() }}) as category,
        cast({{ add_days('segment_days.event_date', 'segment_days.day_offset') }} as date) as calendar_date,
        cast(case when segment_days.day_offset = 0 then segment_days.received_count else 0 end as bigint)
            as received_count,
        cast(case when segment_days.day_offset = 0 then segment_days.processed_count else 0 end as bigint)
            as processed_count,
        cast(segment_days.open_accountant_action_eod as bigint) as open_accountant_action_eod,
        cast(segment_days.open_client_action_eod as bigint) as open_client_action_eod,
        -- added columns: the open counts with the time before each document's first observed
        -- version reconstructed, and where observation began
        cast(segment_days.open_accountant_action_eod + segment_days.reconstructed_accountant_delta as bigint)
            as open_accountant_action_eod_reconstructed,
        cast(segment_days.open_client_action_eod + segment_days.reconstructed_client_delta as bigint)
            as open_client_action_eod_reconstructed,
        cast(client_ranges.history_observed_from as date) as history_observed_from,
        coalesce({{ add_days('segment_days.event_date', 'segment_days.day_offset') }}
                 >= client_ranges.history_observed_from, false) as is_history_observed
    from segment_days
    inner join client_ranges
        on segment_days.client_id = client_ranges.client_id
)

select * from final
