-- One row per client space ever seen (every link status), in its latest state.
with clients as (
    select * from {{ ref('int_clients_current') }}
),

final as (
    select
        cast(client_id as {{ type_text() }}) as client_id,
        cast(client_name as {{ type_text() }}) as client_name,
        cast(country as {{ type_text() }}) as country,
        cast(vat_number as {{ type_text() }}) as vat_number,
        cast(link_status as {{ type_text() }}) as link_status,
        cast(is_active as boolean) as is_active,
        cast(vat_filing_frequency as {{ type_text() }}) as vat_filing_frequency,
        cast(vat_deadline_day as integer) as vat_deadline_day
    from clients
)

select * from final
