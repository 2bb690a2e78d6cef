-- pct_processed is a fraction in [0, 1] and equals documents_processed / documents_total.
with final as (
    select *
    from {{ ref('mart_vat_period_progress') }}
    where pct_processed is null
        or pct_processed < 0
        or pct_processed > 1
        or abs(pct_processed * documents_total - documents_processed) > 0.000001
)

select * from final
