-- One row per client space ever seen (every link status), in its latest state.
with clients as (
    select * from {{ ref('int_clients_current') }}
),

final as (
    select
        cast(client_id as varchar) as client_id,
        cast(client_name as varchar) as client_name,
        cast(country as varchar) as country,
        cast(vat_number as varchar) as vat_number,
        cast(link_status as varchar) as link_status,
        cast(is_active as boolean) as is_active,
        cast(vat_filing_frequency as varchar) as vat_filing_frequency,
        cast(vat_deadline_day as integer) as vat_deadline_day
    from clients
)

select * from final
