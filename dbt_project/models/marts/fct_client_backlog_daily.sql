-- One row per active client x category (OTHER excluded) x calendar day, from the client's
-- first received date to the as-of date.
with versions as (
    select * from {{ ref('int_document_versions') }}
    where updated_at <= {{ as_of_timestamp() }}
),

documents as (
    select * from {{ ref('fct_documents') }}
),

active_clients as (
    select client_id from {{ ref('int_clients_current') }}
    where is_active
),

status_map as (
    select * from {{ ref('accounting_status_to_insights_status') }}
),

categories as (
    -- categories shown as a total only (OTHER) have no backlog
    select category from {{ ref('category_url_slugs') }}
    where has_status_breakdown
),

client_ranges as (
    select
        versions.client_id,
        min(versions.received_date) as first_received_date
    from versions
    inner join active_clients
        on versions.client_id = active_clients.client_id
    group by versions.client_id
    having min(versions.received_date) is not null
),

open_intervals as (
    -- The state at the end of day D is the interval holding the last instant of D; for the
    -- as-of date the as-of instant itself, so a version written after as-of (next_updated_at)
    -- does not end the interval early. An interval opened before the client's first day
    -- (a document without received_at) counts as open from that first day.
    select
        versions.client_id,
        versions.category,
        status_map.insights_status,
        greatest({{ local_date('versions.valid_from') }}, client_ranges.first_received_date) as first_day,
        case
            when versions.valid_to is null or versions.next_updated_at > {{ as_of_timestamp() }}
                then {{ as_of_date() }}
            else {{ add_days(local_date('versions.valid_to'), -1) }}
        end as last_day
    from versions
    inner join client_ranges
        on versions.client_id = client_ranges.client_id
    inner join status_map
        on versions.accounting_status = status_map.accounting_status
    inner join categories
        on versions.category = categories.category
    where versions.deleted_at is null
        and status_map.insights_status in ('accountant_action_needed', 'client_action_needed')
),

events as (
    -- Only the days on which something changes; the days between them repeat the running
    -- open counts, so the spine is expanded once at the end instead of being joined and
    -- windowed row by row. Each client x category starts on the client's first day.
    select client_id, category, first_received_date as event_date,
        0 as accountant_change, 0 as client_change, 0 as received_count, 0 as processed_count
    from client_ranges
    cross join categories
    union all
    -- +1 on the first day an interval is open at day end, -1 on the day after its last
    select client_id, category, first_day,
        {{ status_is('insights_status', 'accountant_action_needed') }},
        {{ status_is('insights_status', 'client_action_needed') }},
        0, 0
    from open_intervals
    where first_day <= last_day
    union all
    select client_id, category, {{ add_days('last_day', 1) }},
        {{ status_is('insights_status', 'accountant_action_needed', -1) }},
        {{ status_is('insights_status', 'client_action_needed', -1) }},
        0, 0
    from open_intervals
    where first_day <= last_day
    union all
    select client_id, category, received_date, 0, 0, 1, 0
    from documents
    union all
    select client_id, category, processed_date, 0, 0, 0, 1
    from documents
    where processed_date is not null
),

daily_events as (
    -- events before the client's first day or after the as-of date fall outside the spine
    select
        events.client_id,
        events.category,
        events.event_date,
        sum(events.accountant_change) as accountant_change,
        sum(events.client_change) as client_change,
        sum(events.received_count) as received_count,
        sum(events.processed_count) as processed_count
    from events
    inner join client_ranges
        on events.client_id = client_ranges.client_id
    inner join categories
        on events.category = categories.category
    where events.event_date >= client_ranges.first_received_date
        and events.event_date <= {{ as_of_date() }}
    group by events.client_id, events.category, events.event_date
),

segments as (
    -- each event day holds its counts until the day before the next event day (or as-of)
    select
        client_id,
        category,
        event_date,
        received_count,
        processed_count,
        sum(accountant_change) over (
            partition by client_id, category order by event_date
            rows between unbounded preceding and current row
        ) as open_accountant_action_eod,
        sum(client_change) over (
            partition by client_id, category order by event_date
            rows between unbounded preceding and current row
        ) as open_client_action_eod,
        {{ dbt.datediff(
            'event_date',
            'coalesce(lead(event_date) over (partition by client_id, category order by event_date), '
                ~ add_days(as_of_date(), 1) ~ ')',
            'day'
        ) }} as days_held
    from daily_events
),

segment_days as (
    {{ repeat_per_day_offset('segments', 'days_held') }}
),

expanded as (
    select
        client_id,
        category,
        {{ add_days('event_date', 'day_offset') }} as calendar_date,
        case when day_offset = 0 then received_count else 0 end as received_count,
        case when day_offset = 0 then processed_count else 0 end as processed_count,
        open_accountant_action_eod,
        open_client_action_eod
    from segment_days
),

final as (
    select
        cast(expanded.client_id as {{ type_text() }}) as client_id,
        cast(expanded.category as {{ type_text() }}) as category,
        cast(expanded.calendar_date as date) as calendar_date,
        cast(expanded.received_count as bigint) as received_count,
        cast(expanded.processed_count as bigint) as processed_count,
        cast(expanded.open_accountant_action_eod as bigint) as open_accountant_action_eod,
        cast(expanded.open_client_action_eod as bigint) as open_client_action_eod,
        -- added columns: the open counts with the time before each document's first observed
        -- version reconstructed (int_backlog_reconstruction_daily), and where observation began
        cast(expanded.open_accountant_action_eod + coalesce(reconstruction.accountant_delta, 0) as bigint)
            as open_accountant_action_eod_reconstructed,
        cast(expanded.open_client_action_eod + coalesce(reconstruction.client_delta, 0) as bigint)
            as open_client_action_eod_reconstructed,
        cast(observed.history_observed_from as date) as history_observed_from,
        coalesce(expanded.calendar_date >= observed.history_observed_from, false) as is_history_observed
    from expanded
    left join {{ ref('int_backlog_reconstruction_daily') }} as reconstruction
        on expanded.client_id = reconstruction.client_id
        and expanded.category = reconstruction.category
        and expanded.calendar_date = reconstruction.calendar_date
    left join {{ ref('int_client_history_observed') }} as observed
        on expanded.client_id = observed.client_id
)

select * from final
