-- One row per landed version of a client space.
with source as (
    select * from {{ source('landing', 'spaces') }}
),

renamed as (
    select
        id as client_id,
        name as client_name,
        type as client_type,
        vat_number,
        country,
        link_status,
        vat_filing_frequency,
        cast(vat_deadline_day as integer) as vat_deadline_day,
        created_at,
        updated_at,
        _batch_id as batch_id,
        _extracted_at as extracted_at
    from source
    -- the rows of a batch the quality gate refused wait for its release
    where {{ not_in_held_batch('spaces', 'source._batch_id') }}
),

final as (
    select * from renamed
)

select * from final
