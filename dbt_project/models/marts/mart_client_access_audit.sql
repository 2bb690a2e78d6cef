-- One row per assignment in the latest landed assignment set, whoever and whatever it links:
-- who can see which client's data, and why not when they cannot. For firms that must check
-- access when someone leaves or changes role.
with assignments as (
    select * from {{ ref('int_assignments_current') }}
),

members as (
    select * from {{ ref('int_team_members_current') }}
),

clients as (
    select * from {{ ref('int_clients_current') }}
),

bridge as (
    select * from {{ ref('bridge_team_member_clients') }}
),

joined as (
    select
        assignments.user_id,
        members.email,
        members.display_name,
        members.roles,
        coalesce(members.is_active, false) as member_is_active,
        coalesce(members.sees_client_documents, false) as role_sees_documents,
        assignments.client_id,
        clients.client_name,
        coalesce(clients.is_active, false) as client_is_active,
        assignments.access_level,
        assignments.assigned_at,
        bridge.user_id is not null as in_bridge
    from assignments
    left join members
        on assignments.user_id = members.user_id
    left join clients
        on assignments.client_id = clients.client_id
    left join bridge
        on assignments.user_id = bridge.user_id
        and assignments.client_id = bridge.client_id
),

final as (
    select
        cast(user_id as {{ type_text() }}) as user_id,
        cast(email as {{ type_text() }}) as email,
        cast(display_name as {{ type_text() }}) as display_name,
        cast(roles as {{ type_text() }}) as roles,
        cast(member_is_active as boolean) as member_is_active,
        cast(client_id as {{ type_text() }}) as client_id,
        cast(client_name as {{ type_text() }}) as client_name,
        cast(client_is_active as boolean) as client_is_active,
        cast(access_level as {{ type_text() }}) as access_level,
        cast(assigned_at as {{ type_instant() }}) as assigned_at,
        cast(in_bridge as boolean) as in_bridge,
        cast(in_bridge and role_sees_documents as boolean) as can_see_client_data,
        cast(
            case
                when not member_is_active then 'member_inactive'
                when not client_is_active then 'client_not_active'
                when not role_sees_documents then 'role_sees_no_documents'
                else 'assigned'
            end as {{ type_text() }}
        ) as access_reason
    from joined
)

select * from final
