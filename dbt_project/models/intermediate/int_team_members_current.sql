-- The latest landed version of every team member written at or before the as-of instant, and
-- whether any of the member's roles sees client documents (seed team_member_role_access).
with users as (
    select * from {{ ref('stg_landing__users') }}
    where updated_at <= {{ as_of_timestamp() }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by user_id order by updated_at desc, batch_id desc
        ) as recency_rank
    from users
),

role_access as (
    select * from {{ ref('team_member_role_access') }}
),

latest as (
    select * from ranked
    where recency_rank = 1
),

document_access as (
    select
        latest.user_id,
        max(case when role_access.sees_client_documents then 1 else 0 end) as sees_documents
    from latest
    inner join role_access
        on {{ list_contains('latest.roles', 'role_access.role') }}
    group by latest.user_id
),

final as (
    select
        latest.user_id,
        latest.email,
        latest.display_name,
        {{ sorted_list_to_text('latest.roles') }} as roles,
        {{ list_contains('latest.roles', "'ACCOUNTANT'") }} as is_accountant,
        coalesce(document_access.sees_documents, 0) = 1 as sees_client_documents,
        coalesce(latest.is_active, false) as is_active,
        latest.updated_at
    from latest
    left join document_access
        on latest.user_id = document_access.user_id
)

select * from final
