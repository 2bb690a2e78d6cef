-- One row per extraction step (batch x entity): the run record of the landing zone.
with source as (
    select * from {{ source('landing', 'batches') }}
),

renamed as (
    select
        batch_id,
        entity,
        extracted_at,
        status as batch_status,
        fetched as fetched_count,
        landed as landed_count,
        new_versions as new_version_count,
        quarantined as quarantined_count,
        failures as failures_json
    from source
),

final as (
    select * from renamed
)

select * from final
