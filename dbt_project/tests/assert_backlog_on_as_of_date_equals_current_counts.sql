-- Shown in Dagster as a check of fct_client_backlog_daily.
{{ config(meta={'dagster': {'ref': {'name': 'fct_client_backlog_daily'}}}) }}

-- On the as-of date, the open counts of fct_client_backlog_daily equal the current counts
-- of fct_documents for every active client and category with a backlog row.
with backlog as (
    select * from {{ ref('fct_client_backlog_daily') }}
    where calendar_date = {{ as_of_date() }}
),

current_counts as (
    select
        client_id,
        category,
        {{ status_counts('insights_status', {'accountant_action_needed': 'open_accountant_action',
                                             'client_action_needed': 'open_client_action'}) }}
    from {{ ref('fct_documents') }}
    group by client_id, category
),

final as (
    select
        backlog.client_id,
        backlog.category,
        backlog.open_accountant_action_eod,
        coalesce(current_counts.open_accountant_action, 0) as expected_accountant_action,
        backlog.open_client_action_eod,
        coalesce(current_counts.open_client_action, 0) as expected_client_action
    from backlog
    left join current_counts
        on backlog.client_id = current_counts.client_id
        and backlog.category = current_counts.category
    where backlog.open_accountant_action_eod <> coalesce(current_counts.open_accountant_action, 0)
        or backlog.open_client_action_eod <> coalesce(current_counts.open_client_action, 0)
        -- nothing is reconstructed on the as-of date
        or backlog.open_accountant_action_eod_reconstructed <> backlog.open_accountant_action_eod
        or backlog.open_client_action_eod_reconstructed <> backlog.open_client_action_eod
)

select * from final
