-- The practical limit: fct_client_category_daily and mart_client_overview computed straight
-- from the landing Parquet by hand-written DuckDB SQL (benchmarks/scale.py runs it next to
-- the dbt build, on the same data, and checks that it gives the same rows as the marts).
-- Placeholders filled by scale.py: {landing}, {seeds}, {as_of}, {timezone}, {url_template}.
-- Same semantics as the models: latest version per document at as-of, live (not deleted),
-- active clients, insights status from the seed, activity date in the firm's time zone,
-- filing period from the VAT rules, priority score and rank.

create or replace temp table hw_live as
with latest as (
    select
        document_id,
        arg_max(
            {'client_id': space_id, 'category': category, 'accounting_status': accounting_status,
             'issue_date': issue_date, 'received_at': received_at, 'deleted_at': deleted_at},
            updated_at
        ) as v
    from read_parquet('{landing}/documents/*/*.parquet', union_by_name = true,
                      hive_partitioning = false)
    where updated_at <= cast('{as_of}' as timestamptz)
    group by document_id
),
spaces as (
    select id as client_id, link_status
    from read_parquet('{landing}/spaces/*.parquet', union_by_name = true)
    where updated_at <= cast('{as_of}' as timestamptz)
    qualify row_number() over (partition by id order by updated_at desc, _batch_id desc) = 1
),
categories as (select * from read_csv('{seeds}/category_url_slugs.csv', header = true)),
status_map as (select * from read_csv('{seeds}/accounting_status_to_insights_status.csv', header = true))
select
    latest.v.client_id as client_id,
    latest.v.category as category,
    case when categories.has_status_breakdown then status_map.insights_status end as insights_status,
    coalesce(latest.v.issue_date, cast(latest.v.received_at at time zone '{timezone}' as date)) as activity_date,
    cast(latest.v.received_at at time zone '{timezone}' as date) as received_date
from latest
inner join spaces on latest.v.client_id = spaces.client_id and spaces.link_status = 'ACTIVE'
left join categories on latest.v.category = categories.category
left join status_map on latest.v.accounting_status = status_map.accounting_status
where latest.v.deleted_at is null;

create or replace temp table hw_category_daily as
with categories as (select * from read_csv('{seeds}/category_url_slugs.csv', header = true))
select
    client_id,
    hw_live.category,
    activity_date,
    count(*) as documents_total,
    case when any_value(has_status_breakdown) then count(*) filter (insights_status = 'processed') end as documents_processed,
    case when any_value(has_status_breakdown) then count(*) filter (insights_status = 'accountant_action_needed') end as documents_accountant_action_needed,
    case when any_value(has_status_breakdown) then count(*) filter (insights_status = 'client_action_needed') end as documents_client_action_needed,
    replace(replace(replace('{url_template}', '{client_id}', url_encode(client_id)),
        '{category}', url_encode(any_value(url_slug))), '{status}', 'all') as action_url,
    case when any_value(has_status_breakdown) then
        replace(replace(replace('{url_template}', '{client_id}', url_encode(client_id)),
            '{category}', url_encode(any_value(url_slug))), '{status}', 'accountant_action_needed')
    end as action_url_accountant_action_needed,
    case when any_value(has_status_breakdown) then
        replace(replace(replace('{url_template}', '{client_id}', url_encode(client_id)),
            '{category}', url_encode(any_value(url_slug))), '{status}', 'client_action_needed')
    end as action_url_client_action_needed
from hw_live
left join categories on hw_live.category = categories.category
group by client_id, hw_live.category, activity_date;

create or replace temp table hw_client_overview as
with as_of as (
    select cast('{as_of}' as timestamptz) as ts,
           cast(cast('{as_of}' as timestamptz) at time zone '{timezone}' as date) as d
),
clients as (
    select id as client_id, name as client_name, country, link_status, vat_filing_frequency,
           cast(vat_deadline_day as integer) as vat_deadline_day
    from read_parquet('{landing}/spaces/*.parquet', union_by_name = true)
    where updated_at <= (select ts from as_of)
    qualify row_number() over (partition by id order by updated_at desc, _batch_id desc) = 1
),
users as (
    select id as user_id, coalesce(active, false) as is_active
    from read_parquet('{landing}/users/*.parquet', union_by_name = true)
    where updated_at <= (select ts from as_of)
    qualify row_number() over (partition by id order by updated_at desc, _batch_id desc) = 1
),
assignments as (
    select distinct user_id, space_id as client_id
    from read_parquet('{landing}/assignments/*.parquet', union_by_name = true)
    where _batch_id = (select max(_batch_id) from read_parquet('{landing}/assignments/*.parquet', union_by_name = true))
),
assigned as (
    select assignments.client_id, count(*) as assigned_team_members
    from assignments
    inner join users on assignments.user_id = users.user_id and users.is_active
    inner join clients on assignments.client_id = clients.client_id and clients.link_status = 'ACTIVE'
    group by assignments.client_id
),
frequencies as (select * from read_csv('{seeds}/vat_filing_frequencies.csv', header = true)),
rules as (select * from read_csv('{seeds}/vat_deadline_rules.csv', header = true, all_varchar = true)),
counts as (
    select
        client_id,
        count(*) as documents_total,
        count(*) filter (insights_status = 'processed') as documents_processed,
        count(*) filter (insights_status = 'accountant_action_needed') as documents_accountant_action_needed,
        count(*) filter (insights_status = 'client_action_needed') as documents_client_action_needed,
        max(datediff('day', received_date, (select d from as_of)))
            filter (insights_status = 'accountant_action_needed') as oldest_open_accountant_action_days,
        min(activity_date) as first_activity_date
    from hw_live
    group by client_id
),
-- the filing period is the as-of date's period or the one before it (whose deadline may not
-- have passed yet), never before the period of the client's first activity
candidates as (
    select
        clients.client_id, frequencies.period_months, frequencies.deadline_month_offset,
        coalesce(cast(clients.vat_deadline_day as varchar), country_rule.deadline_day, default_rule.deadline_day) as day_rule,
        datediff('month', date '1970-01-01', (select d from as_of)) as as_of_month,
        datediff('month', date '1970-01-01', least(coalesce(counts.first_activity_date, (select d from as_of)), (select d from as_of))) as first_month,
        back.n as back
    from clients
    inner join frequencies on clients.vat_filing_frequency = frequencies.vat_filing_frequency
    left join rules as country_rule
        on clients.country = country_rule.country and clients.vat_filing_frequency = country_rule.vat_filing_frequency
    left join rules as default_rule
        on default_rule.country = '*' and clients.vat_filing_frequency = default_rule.vat_filing_frequency
    left join counts on clients.client_id = counts.client_id
    cross join (values (0), (1)) as back (n)
    where clients.link_status = 'ACTIVE'
),
periods as (
    select *,
        as_of_month - mod(as_of_month, period_months) - back * period_months as period_month
    from candidates
),
deadlines as (
    select *,
        cast(date '1970-01-01' + to_months(cast(period_month as integer)) as date) as vat_period_start,
        cast(date '1970-01-01' + to_months(cast(period_month + period_months as integer)) - interval 1 day as date) as vat_period_end,
        cast(date '1970-01-01' + to_months(cast(period_month + deadline_month_offset as integer)) as date) as deadline_month
    from periods
    where period_month >= first_month - mod(first_month, period_months)
),
nominal as (
    select *,
        case when day_rule = 'last' then last_day(deadline_month)
             else least(cast(deadline_month + to_days(cast(day_rule as integer) - 1) as date), last_day(deadline_month))
        end as nominal_deadline
    from deadlines
),
filing as (
    select
        client_id,
        arg_min(vat_period_start, vat_period_start) as filing_period_start,
        arg_min(vat_period_end, vat_period_start) as filing_period_end,
        arg_min(filing_deadline, vat_period_start) as filing_deadline
    from (
        select *,
            case isodow(nominal_deadline)
                when 6 then cast(nominal_deadline + interval 2 day as date)
                when 7 then cast(nominal_deadline + interval 1 day as date)
                else nominal_deadline
            end as filing_deadline
        from nominal
    )
    where filing_deadline >= (select d from as_of)
    group by client_id
),
filing_open as (
    select filing.client_id, count(hw_live.client_id) as open_in_filing_period
    from filing
    left join hw_live
        on hw_live.client_id = filing.client_id
        and hw_live.activity_date between filing.filing_period_start and filing.filing_period_end
        and hw_live.category <> 'OTHER'
        and coalesce(hw_live.insights_status, '') <> 'processed'
    group by filing.client_id
),
combined as (
    select
        clients.client_id, clients.client_name, clients.country, clients.vat_filing_frequency,
        coalesce(counts.documents_total, 0) as documents_total,
        coalesce(counts.documents_processed, 0) as documents_processed,
        coalesce(counts.documents_accountant_action_needed, 0) as documents_accountant_action_needed,
        coalesce(counts.documents_client_action_needed, 0) as documents_client_action_needed,
        counts.oldest_open_accountant_action_days,
        filing.filing_period_start, filing.filing_period_end, filing.filing_deadline,
        datediff('day', (select d from as_of), filing.filing_deadline) as days_to_filing_deadline,
        filing_open.open_in_filing_period,
        coalesce(assigned.assigned_team_members, 0) as assigned_team_members
    from clients
    left join counts on clients.client_id = counts.client_id
    left join filing on clients.client_id = filing.client_id
    left join filing_open on clients.client_id = filing_open.client_id
    left join assigned on clients.client_id = assigned.client_id
    where clients.link_status = 'ACTIVE'
),
factors as (
    select *,
        cast(1.0 + coalesce(oldest_open_accountant_action_days, 0) / 30.0 as double)
            as priority_age_factor,
        cast(case when days_to_filing_deadline is null then 1.0
                  else 1.0 + 2.0 * greatest(0, 30 - days_to_filing_deadline) / 30.0 end
             as double) as priority_deadline_factor
    from combined
),
scored as (
    select *,
        cast(round(documents_accountant_action_needed * priority_age_factor
                   * priority_deadline_factor, 2) as decimal(18, 2)) as priority_score
    from factors
)
select *,
    row_number() over (order by priority_score desc, client_name, client_id) as priority_rank,
    (select ts from as_of) as data_as_of
from scored;
