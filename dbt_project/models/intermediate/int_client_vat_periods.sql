{{ config(materialized='table') }}

-- One row per client x VAT period, from the period of the client's first activity (or of
-- the as-of date when it has none) to the period holding the later of the as-of date and
-- its last activity. Clients filing NONE have no periods. Period lengths and deadline
-- months come from the vat_filing_frequencies seed, deadline days from vat_deadline_rules.
{%- set epoch = "cast('1970-01-01' as date)" %}

with clients as (
    select * from {{ ref('int_clients_current') }}
),

documents as (
    select * from {{ ref('int_documents_classified') }}
),

frequencies as (
    select * from {{ ref('vat_filing_frequencies') }}
),

country_rules as (
    select * from {{ ref('vat_deadline_rules') }}
    where country <> '*'
),

default_rules as (
    -- the row for any country without a rule of its own
    select * from {{ ref('vat_deadline_rules') }}
    where country = '*'
),

activity as (
    select
        client_id,
        min(activity_date) as first_activity_date,
        max(activity_date) as last_activity_date
    from documents
    group by client_id
),

filers as (
    select
        clients.client_id,
        clients.vat_filing_frequency,
        frequencies.period_months,
        frequencies.deadline_month_offset,
        -- a client's own day wins over the country rule; 'last' means the month's last day
        coalesce(
            cast(clients.vat_deadline_day as {{ dbt.type_string() }}),
            country_rules.deadline_day,
            default_rules.deadline_day
        ) as deadline_day_rule,
        least(coalesce(activity.first_activity_date, {{ as_of_date() }}), {{ as_of_date() }}) as first_date,
        greatest(coalesce(activity.last_activity_date, {{ as_of_date() }}), {{ as_of_date() }}) as last_date
    from clients
    inner join frequencies
        on clients.vat_filing_frequency = frequencies.vat_filing_frequency
    left join country_rules
        on clients.country = country_rules.country
        and clients.vat_filing_frequency = country_rules.vat_filing_frequency
    left join default_rules
        on clients.vat_filing_frequency = default_rules.vat_filing_frequency
    left join activity
        on clients.client_id = activity.client_id
),

month_bounds as (
    -- months since 1970-01 make one formula serve every period length
    select
        *,
        -- an integer on every engine (PostgreSQL's month difference is a double)
        cast({{ dbt.datediff(epoch, 'first_date', 'month') }} as integer) as first_month,
        cast({{ dbt.datediff(epoch, 'last_date', 'month') }} as integer) as last_month
    from filers
),

period_bounds as (
    select
        *,
        first_month - mod(first_month, period_months) as first_period_month,
        last_month - mod(last_month, period_months) as last_period_month
    from month_bounds
),

month_numbers as (
    {{ integers(4) }}
),

periods as (
    select
        period_bounds.client_id,
        period_bounds.vat_filing_frequency,
        period_bounds.period_months,
        period_bounds.deadline_month_offset,
        period_bounds.deadline_day_rule,
        period_bounds.first_period_month + month_numbers.n * period_bounds.period_months as period_month
    from period_bounds
    inner join month_numbers
        on period_bounds.first_period_month + month_numbers.n * period_bounds.period_months
            <= period_bounds.last_period_month
),

period_dates as (
    select
        client_id,
        vat_filing_frequency,
        deadline_day_rule,
        {{ add_months(epoch, 'period_month') }} as vat_period_start,
        {{ add_days(add_months(epoch, 'period_month + period_months'), -1) }} as vat_period_end,
        {{ add_months(epoch, 'period_month + deadline_month_offset') }} as deadline_month_start
    from periods
),

unshifted as (
    select
        *,
        case
            when deadline_day_rule = 'last'
                then {{ month_last_day('deadline_month_start') }}
            -- a day the month does not have (31 in April) is capped at its last day
            else least(
                {{ add_days('deadline_month_start', 'cast(deadline_day_rule as integer) - 1') }},
                {{ month_last_day('deadline_month_start') }}
            )
        end as nominal_deadline
    from period_dates
),

shifted as (
    select
        *,
        -- a deadline on a Saturday or Sunday moves to the next Monday
        case {{ iso_day_of_week('nominal_deadline') }}
            when 6 then {{ add_days('nominal_deadline', 2) }}
            when 7 then {{ add_days('nominal_deadline', 1) }}
            else nominal_deadline
        end as filing_deadline
    from unshifted
),

with_filing_period as (
    select
        *,
        min(case when filing_deadline >= {{ as_of_date() }} then vat_period_start end)
            over (partition by client_id) as filing_period_start
    from shifted
),

final as (
    select
        client_id,
        vat_filing_frequency,
        vat_period_start,
        vat_period_end,
        filing_deadline,
        vat_period_start = filing_period_start as is_filing_period
    from with_filing_period
)

select * from final
