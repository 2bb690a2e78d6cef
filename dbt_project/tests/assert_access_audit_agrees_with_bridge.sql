-- Shown in Dagster as a check of mart_client_access_audit.
{{ config(meta={'dagster': {'ref': {'name': 'mart_client_access_audit'}}}) }}

-- The access audit and the access rule agree: every bridge row is an audited assignment marked
-- in_bridge, and a member can see a client's data exactly when the reason is 'assigned'.
with audit as (
    select * from {{ ref('mart_client_access_audit') }}
),

bridge as (
    select * from {{ ref('bridge_team_member_clients') }}
),

bridge_rows_missing_from_audit as (
    select bridge.user_id, bridge.client_id, 'bridge row not audited as in_bridge' as problem
    from bridge
    left join audit
        on bridge.user_id = audit.user_id
        and bridge.client_id = audit.client_id
        and audit.in_bridge
    where audit.user_id is null
),

reason_disagrees as (
    select user_id, client_id, 'can_see_client_data disagrees with access_reason' as problem
    from audit
    where can_see_client_data <> (access_reason = 'assigned')
),

final as (
    select * from bridge_rows_missing_from_audit
    union all
    select * from reason_disagrees
)

select * from final
