-- A table: the backlog's builds and its merge read it several times, and it is one scan of
-- the version log.
{{ config(materialized='table') }}

-- One row per client with landed documents: where its backlog starts (the first
-- received_date of any version) and the instant from which the pipeline observed its
-- documents, the first extraction that landed any of them (never after the as-of instant).
-- Before it the backlog is reconstructed (int_backlog_document_events); from then on every
-- change a read saw is a landed version.
with versions as (
    select client_id, received_date, extracted_at
    from {{ ref('int_document_versions') }}
    where updated_at <= {{ as_of_timestamp() }}
),

final as (
    select
        client_id,
        min(received_date) as first_received_date,
        least(min(extracted_at), {{ as_of_timestamp() }}) as history_observed_from_at
    from versions
    group by client_id
)

select
    client_id,
    first_received_date,
    history_observed_from_at,
    {{ local_date('history_observed_from_at') }} as history_observed_from
from final
