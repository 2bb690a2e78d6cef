-- One row per client: the instant from which the pipeline observed the client's documents.
-- The first landed batch of a client is a read of everything the source held then; the read
-- happened after the newest version in it, so that version's updated_at is where observed
-- history starts (in the source's own time, whatever the wall clock of the extraction).
-- Never after the as-of instant. Before it, the backlog is reconstructed
-- (int_backlog_reconstruction_daily).
with versions as (
    select client_id, batch_id, updated_at
    from {{ ref('int_document_versions') }}
    where updated_at <= {{ as_of_timestamp() }}
),

first_batches as (
    select client_id, min(batch_id) as batch_id
    from versions
    group by client_id
),

final as (
    select
        versions.client_id,
        least(max(versions.updated_at), {{ as_of_timestamp() }}) as history_observed_from_at
    from versions
    inner join first_batches
        on versions.client_id = first_batches.client_id
        and versions.batch_id = first_batches.batch_id
    group by versions.client_id
)

select
    client_id,
    history_observed_from_at,
    {{ local_date('history_observed_from_at') }} as history_observed_from
from final
