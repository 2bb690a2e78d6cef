-- The latest landed version of every team member written at or before the as-of instant.
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

final as (
    select
        user_id,
        email,
        display_name,
        {{ sorted_list_to_text('roles') }} as roles,
        {{ list_contains('roles', "'ACCOUNTANT'") }} as is_accountant,
        coalesce(is_active, false) as is_active,
        updated_at
    from ranked
    where recency_rank = 1
)

select * from final
