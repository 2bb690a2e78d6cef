-- One row per current assignment of an active team member to an active client: who may
-- see which client's rows.
with assignments as (
    select * from {{ ref('int_assignments_current') }}
),

active_members as (
    select user_id from {{ ref('int_team_members_current') }}
    where is_active
),

active_clients as (
    select client_id from {{ ref('int_clients_current') }}
    where is_active
),

final as (
    select
        cast(assignments.user_id as {{ type_text() }}) as user_id,
        cast(assignments.client_id as {{ type_text() }}) as client_id,
        cast(assignments.access_level as {{ type_text() }}) as access_level,
        cast(assignments.assigned_at as {{ type_instant() }}) as assigned_at
    from assignments
    inner join active_members
        on assignments.user_id = active_members.user_id
    inner join active_clients
        on assignments.client_id = active_clients.client_id
)

select * from final
