-- One row per landed document version; local dates are derived here, once.
with source as (
    select * from {{ source('landing', 'documents') }}
),

renamed as (
    select
        document_id,
        space_id as client_id,
        category,
        document_type,
        document_number,
        issue_date,
        due_date,
        received_at,
        {{ local_date('received_at') }} as received_date,
        intake_channel,
        business_status,
        accounting_status,
        accounting_status_changed_at,
        processed_at,
        {{ local_date('processed_at') }} as processed_date,
        processed_by,
        currency,
        -- amounts land as decimal text so no precision is lost on the way
        cast(total_excl_vat as {{ dbt.type_numeric() }}) as total_excl_vat,
        cast(vat_amount as {{ dbt.type_numeric() }}) as vat_amount,
        cast(total_incl_vat as {{ dbt.type_numeric() }}) as total_incl_vat,
        counterparty_name,
        created_at,
        updated_at,
        deleted_at,
        _batch_id as batch_id,
        _extracted_at as extracted_at
        -- _raw stays in the landing zone: it is for audits, not for models
    from source
    -- the rows of a batch the quality gate refused wait for its release
    where {{ not_in_held_batch('documents', 'source._batch_id') }}
),

final as (
    select * from renamed
)

select * from final
