-- The latest landed version of every client space written at or before the as-of instant.
with spaces as (
    select * from {{ ref('stg_landing__spaces') }}
    where updated_at <= {{ as_of_timestamp() }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by client_id order by updated_at desc, batch_id desc
        ) as recency_rank
    from spaces
),

final as (
    select
        client_id,
        client_name,
        client_type,
        vat_number,
        country,
        link_status,
        link_status = 'ACTIVE' as is_active,
        vat_filing_frequency,
        vat_deadline_day,
        created_at,
        updated_at
    from ranked
    where recency_rank = 1
)

select * from final
