-- One row per team member of the firm, in the member's latest state.
with members as (
    select * from {{ ref('int_team_members_current') }}
),

final as (
    select
        cast(user_id as {{ type_text() }}) as user_id,
        cast(email as {{ type_text() }}) as email,
        cast(display_name as {{ type_text() }}) as display_name,
        cast(roles as {{ type_text() }}) as roles,
        cast(is_active as boolean) as is_active,
        cast(is_accountant as boolean) as is_accountant,
        cast(sees_client_documents as boolean) as sees_client_documents
    from members
)

select * from final
