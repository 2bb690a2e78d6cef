{{
    config(
        materialized=merge_materialization(),
        incremental_strategy='merge',
        unique_key=['document_id', 'updated_at'],
        on_schema_change='append_new_columns'
    )
}}

{%- set version_columns = [
    'document_id', 'client_id', 'category', 'document_type', 'document_number', 'issue_date',
    'due_date', 'received_at', 'received_date', 'intake_channel', 'business_status',
    'accounting_status', 'accounting_status_changed_at', 'processed_at', 'processed_date',
    'processed_by', 'currency', 'total_excl_vat', 'vat_amount', 'total_incl_vat',
    'counterparty_name', 'created_at', 'updated_at', 'deleted_at', 'batch_id', 'extracted_at'
] %}

with landed as (
    select * from {{ ref('stg_landing__documents') }}
    {% if is_incremental() %}
    -- The landing zone is append-only and batch ids sort by time: only batches landed
    -- after the newest one merged so far are read (Parquet statistics skip the rest).
    where batch_id > (select coalesce(max(batch_id), '') from {{ this }})
    {% endif %}
),

ranked as (
    select
        *,
        -- a version landed twice keeps its latest landing, in a full and an incremental run alike
        row_number() over (
            partition by document_id, updated_at
            order by batch_id desc, extracted_at desc
        ) as landing_rank
    from landed
),

final as (
    select
        {% for column in version_columns -%}
        {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from ranked
    where landing_rank = 1
)

select * from final
