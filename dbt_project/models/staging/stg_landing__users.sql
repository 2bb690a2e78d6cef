-- One row per landed version of a team member.
with source as (
    select * from {{ source('landing', 'users') }}
),

renamed as (
    select
        id as user_id,
        email,
        display_name,
        roles,
        active as is_active,
        updated_at,
        _batch_id as batch_id,
        _extracted_at as extracted_at
    from source
    -- the rows of a batch the quality gate refused wait for its release
    where {{ not_in_held_batch('users', 'source._batch_id') }}
),

final as (
    select * from renamed
)

select * from final
