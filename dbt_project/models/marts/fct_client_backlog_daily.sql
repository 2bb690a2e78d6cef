-- One row per active client x category (OTHER excluded) x calendar day, from the client's
-- first received date to the as-of date.
with intervals as (
    select * from {{ ref('int_document_status_intervals') }}
    where updated_at <= {{ as_of_timestamp() }}
),

versions as (
    select * from {{ ref('int_document_versions_deduplicated') }}
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
),

open_intervals as (
    -- The state at the end of day D is the interval holding the last instant of D; for the
    -- as-of date the as-of instant itself, so a version written after as-of (next_updated_at)
    -- does not end the interval early.
    select
        intervals.client_id,
        intervals.category,
        status_map.insights_status,
        {{ local_date('intervals.valid_from') }} as first_day,
        case
            when intervals.valid_to is null or intervals.next_updated_at > {{ as_of_timestamp() }}
                then {{ as_of_date() }}
            else {{ add_days(local_date('intervals.valid_to'), -1) }}
        end as last_day
    from intervals
    inner join status_map
        on intervals.accounting_status = status_map.accounting_status
    inner join categories
        on intervals.category = categories.category
    where status_map.insights_status in ('accountant_action_needed', 'client_action_needed')
),

open_changes as (
    -- +1 on the first day an interval is open at day end, -1 on the day after its last
    select
        client_id,
        category,
        first_day as calendar_date,
        case when insights_status = 'accountant_action_needed' then 1 else 0 end as accountant_change,
        case when insights_status = 'client_action_needed' then 1 else 0 end as client_change
    from open_intervals
    where first_day <= last_day
    union all
    select
        client_id,
        category,
        {{ add_days('last_day', 1) }} as calendar_date,
        case when insights_status = 'accountant_action_needed' then -1 else 0 end as accountant_change,
        case when insights_status = 'client_action_needed' then -1 else 0 end as client_change
    from open_intervals
    where first_day <= last_day
),

daily_changes as (
    select
        client_id,
        category,
        calendar_date,
        sum(accountant_change) as accountant_change,
        sum(client_change) as client_change
    from open_changes
    group by client_id, category, calendar_date
),

received as (
    select client_id, category, received_date as calendar_date, count(*) as received_count
    from documents
    group by client_id, category, received_date
),

processed as (
    select client_id, category, processed_date as calendar_date, count(*) as processed_count
    from documents
    where processed_date is not null
    group by client_id, category, processed_date
),

day_numbers as (
    {{ integers(5) }}
),

calendar as (
    -- one shared day list from the earliest client's first day to the as-of date
    select
        {{ add_days('bounds.first_day', 'day_numbers.n') }} as calendar_date
    from (select min(first_received_date) as first_day from client_ranges) as bounds
    inner join day_numbers
        on day_numbers.n <= {{ dbt.datediff('bounds.first_day', as_of_date(), 'day') }}
),

spine as (
    select
        client_ranges.client_id,
        categories.category,
        calendar.calendar_date
    from client_ranges
    cross join categories
    inner join calendar
        on calendar.calendar_date >= client_ranges.first_received_date
),

counted as (
    select
        spine.client_id,
        spine.category,
        spine.calendar_date,
        coalesce(received.received_count, 0) as received_count,
        coalesce(processed.processed_count, 0) as processed_count,
        sum(coalesce(daily_changes.accountant_change, 0)) over (
            partition by spine.client_id, spine.category order by spine.calendar_date
            rows between unbounded preceding and current row
        ) as open_accountant_action_eod,
        sum(coalesce(daily_changes.client_change, 0)) over (
            partition by spine.client_id, spine.category order by spine.calendar_date
            rows between unbounded preceding and current row
        ) as open_client_action_eod
    from spine
    left join daily_changes
        on spine.client_id = daily_changes.client_id
        and spine.category = daily_changes.category
        and spine.calendar_date = daily_changes.calendar_date
    left join received
        on spine.client_id = received.client_id
        and spine.category = received.category
        and spine.calendar_date = received.calendar_date
    left join processed
        on spine.client_id = processed.client_id
        and spine.category = processed.category
        and spine.calendar_date = processed.calendar_date
),

final as (
    select
        cast(client_id as {{ type_text() }}) as client_id,
        cast(category as {{ type_text() }}) as category,
        cast(calendar_date as date) as calendar_date,
        cast(received_count as bigint) as received_count,
        cast(processed_count as bigint) as processed_count,
        cast(open_accountant_action_eod as bigint) as open_accountant_action_eod,
        cast(open_client_action_eod as bigint) as open_client_action_eod
    from counted
)

select * from final
