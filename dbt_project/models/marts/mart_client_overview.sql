-- One row per active client: its document counts, the filing period and its urgency.
with clients as (
    select * from {{ ref('int_clients_current') }}
    where is_active
),

documents as (
    select * from {{ ref('fct_documents') }}
),

categories as (
    select * from {{ ref('category_url_slugs') }}
),

filing_periods as (
    select * from {{ ref('int_client_vat_periods') }}
    where is_filing_period
),

bridge as (
    select * from {{ ref('bridge_team_member_clients') }}
),

document_counts as (
    select
        documents.client_id,
        count(*) as documents_total,
        {{ status_counts('documents.insights_status') }},
        max(case when documents.insights_status = 'accountant_action_needed' then documents.open_age_days end)
            as oldest_open_accountant_action_days
    from documents
    group by documents.client_id
),

filing_period_open as (
    select
        documents.client_id,
        count(*) as open_in_filing_period
    from documents
    inner join categories
        on documents.category = categories.category
    inner join filing_periods
        on documents.client_id = filing_periods.client_id
        and documents.vat_period_start = filing_periods.vat_period_start
    where categories.has_status_breakdown
        and coalesce(documents.insights_status, '') <> 'processed'
    group by documents.client_id
),

assigned as (
    select client_id, count(*) as assigned_team_members
    from bridge
    group by client_id
),

combined as (
    select
        clients.client_id,
        clients.client_name,
        clients.country,
        clients.vat_filing_frequency,
        coalesce(document_counts.documents_total, 0) as documents_total,
        coalesce(document_counts.documents_processed, 0) as documents_processed,
        coalesce(document_counts.documents_accountant_action_needed, 0) as documents_accountant_action_needed,
        coalesce(document_counts.documents_client_action_needed, 0) as documents_client_action_needed,
        document_counts.oldest_open_accountant_action_days,
        filing_periods.vat_period_start as filing_period_start,
        filing_periods.vat_period_end as filing_period_end,
        filing_periods.filing_deadline,
        case
            when filing_periods.filing_deadline is not null
                then {{ dbt.datediff(as_of_date(), 'filing_periods.filing_deadline', 'day') }}
        end as days_to_filing_deadline,
        -- null, not 0, for clients without a filing period (NONE filers)
        case
            when filing_periods.client_id is not null
                then coalesce(filing_period_open.open_in_filing_period, 0)
        end as open_in_filing_period,
        coalesce(assigned.assigned_team_members, 0) as assigned_team_members
    from clients
    left join document_counts
        on clients.client_id = document_counts.client_id
    left join filing_periods
        on clients.client_id = filing_periods.client_id
    left join filing_period_open
        on clients.client_id = filing_period_open.client_id
    left join assigned
        on clients.client_id = assigned.client_id
),

factors as (
    select
        *,
        -- the parts of the priority score, published so that readers show them as computed
        -- here (see the column descriptions); in double precision on every engine (Spark
        -- would otherwise compute them as 6-decimal numbers)
        1.0 + cast(coalesce(oldest_open_accountant_action_days, 0) as {{ type_double() }}) / 30.0
            as priority_age_factor,
        case
            when days_to_filing_deadline is null then 1.0
            else 1.0 + 2.0 * cast(greatest(0, 30 - days_to_filing_deadline) as {{ type_double() }}) / 30.0
        end as priority_deadline_factor
    from combined
),

scored as (
    select
        *,
        -- backlog x age factor x deadline factor, in each engine's own arithmetic of these
        -- literals (as before the factors were published: the scores stay the same); ranked
        -- on the published two-decimal value so the rank follows what users see
        cast(round(
            documents_accountant_action_needed
            * (1.0 + coalesce(oldest_open_accountant_action_days, 0) / 30.0)
            * (
                case
                    when days_to_filing_deadline is null then 1.0
                    else 1.0 + 2.0 * greatest(0, 30 - days_to_filing_deadline) / 30.0
                end
            ),
            2
        ) as decimal(18, 2)) as priority_score
    from factors
),

ranked as (
    select
        *,
        row_number() over (order by priority_score desc, client_name, client_id) as priority_rank
    from scored
),

final as (
    select
        cast(client_id as {{ type_text() }}) as client_id,
        cast(client_name as {{ type_text() }}) as client_name,
        cast(country as {{ type_text() }}) as country,
        cast(vat_filing_frequency as {{ type_text() }}) as vat_filing_frequency,
        cast(documents_total as bigint) as documents_total,
        cast(documents_processed as bigint) as documents_processed,
        cast(documents_accountant_action_needed as bigint) as documents_accountant_action_needed,
        cast(documents_client_action_needed as bigint) as documents_client_action_needed,
        cast(oldest_open_accountant_action_days as integer) as oldest_open_accountant_action_days,
        cast(filing_period_start as date) as filing_period_start,
        cast(filing_period_end as date) as filing_period_end,
        cast(filing_deadline as date) as filing_deadline,
        cast(days_to_filing_deadline as integer) as days_to_filing_deadline,
        cast(open_in_filing_period as bigint) as open_in_filing_period,
        cast(priority_age_factor as {{ type_double() }}) as priority_age_factor,
        cast(priority_deadline_factor as {{ type_double() }}) as priority_deadline_factor,
        cast(priority_score as decimal(18, 2)) as priority_score,
        cast(priority_rank as bigint) as priority_rank,
        cast(assigned_team_members as bigint) as assigned_team_members,
        {{ as_of_timestamp() }} as data_as_of
    from ranked
)

select * from final
