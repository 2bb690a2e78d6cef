-- One row per active team member with the ACCOUNTANT role.
with members as (
    select * from {{ ref('int_team_members_current') }}
    where is_active and is_accountant
),

bridge as (
    select * from {{ ref('bridge_team_member_clients') }}
),

documents as (
    select * from {{ ref('fct_documents') }}
),

client_open as (
    select
        client_id,
        {{ status_counts('insights_status', {'accountant_action_needed': 'open_accountant_action',
                                             'client_action_needed': 'open_client_action'}) }},
        max(case when insights_status = 'accountant_action_needed' then open_age_days end)
            as oldest_open_accountant_action_days
    from documents
    group by client_id
),

member_clients as (
    select
        bridge.user_id,
        count(*) as assigned_clients,
        sum(coalesce(client_open.open_accountant_action, 0)) as open_accountant_action,
        sum(coalesce(client_open.open_client_action, 0)) as open_client_action,
        max(client_open.oldest_open_accountant_action_days) as oldest_open_accountant_action_days
    from bridge
    left join client_open
        on bridge.client_id = client_open.client_id
    group by bridge.user_id
),

processed_recently as (
    -- the 30 local days ending on the as-of date
    select
        processed_by as user_id,
        count(*) as processed_last_30_days
    from documents
    where processed_date > {{ add_days(as_of_date(), -30) }}
        and processed_date <= {{ as_of_date() }}
    group by processed_by
),

final as (
    select
        cast(members.user_id as {{ type_text() }}) as user_id,
        cast(members.display_name as {{ type_text() }}) as display_name,
        cast(coalesce(member_clients.assigned_clients, 0) as bigint) as assigned_clients,
        cast(coalesce(member_clients.open_accountant_action, 0) as bigint) as open_accountant_action,
        cast(coalesce(member_clients.open_client_action, 0) as bigint) as open_client_action,
        cast(member_clients.oldest_open_accountant_action_days as integer) as oldest_open_accountant_action_days,
        cast(coalesce(processed_recently.processed_last_30_days, 0) as bigint) as processed_last_30_days
    from members
    left join member_clients
        on members.user_id = member_clients.user_id
    left join processed_recently
        on members.user_id = processed_recently.user_id
)

select * from final
