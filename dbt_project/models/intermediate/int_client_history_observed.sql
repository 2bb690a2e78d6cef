-- One row per client: the instant from which the pipeline observed the client's documents,
-- the first extraction that landed any of them (never after the as-of instant). Before it the
-- backlog is reconstructed (int_backlog_reconstruction_daily); from then on every change a
-- read saw is a landed version.
with versions as (
    select client_id, extracted_at
    from {{ ref('int_document_versions') }}
    where updated_at <= {{ as_of_timestamp() }}
),

final as (
    select
        client_id,
        least(min(extracted_at), {{ as_of_timestamp() }}) as history_observed_from_at
    from versions
    group by client_id
)

select
    client_id,
    history_observed_from_at,
    {{ local_date('history_observed_from_at') }} as history_observed_from
from final
