-- One row per assignment per landed batch (each batch holds the complete set of its run).
with source as (
    select * from {{ source('landing', 'assignments') }}
),

renamed as (
    select
        user_id,
        space_id as client_id,
        access_level,
        assigned_at,
        _batch_id as batch_id,
        _extracted_at as extracted_at
    from source
    -- the rows of a batch the quality gate refused wait for its release
    where {{ not_in_held_batch('assignments', 'source._batch_id') }}
),

final as (
    select * from renamed
)

select * from final
