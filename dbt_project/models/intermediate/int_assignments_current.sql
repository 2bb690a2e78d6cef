-- The current assignments: the complete set landed by the latest batch. Assignments carry
-- no version stamp, so the latest landed set applies whatever the as-of instant.
with assignments as (
    select * from {{ ref('stg_landing__assignments') }}
),

batches as (
    select * from {{ ref('stg_landing__batches') }}
    where entity = 'assignments'
),

latest_batch as (
    -- The run record also knows a batch that landed an empty set (no rows to carry its id);
    -- the rows themselves cover a batch whose record a crash prevented.
    select
        greatest(
            coalesce((select max(batch_id) from batches), ''),
            coalesce((select max(batch_id) from assignments), '')
        ) as batch_id
),

current_set as (
    select
        assignments.*,
        -- one row per pair even if an answer listed a pair twice
        row_number() over (
            partition by assignments.user_id, assignments.client_id
            order by assignments.assigned_at desc, assignments.access_level
        ) as pair_rank
    from assignments
    inner join latest_batch
        on assignments.batch_id = latest_batch.batch_id
),

final as (
    select
        user_id,
        client_id,
        access_level,
        assigned_at
    from current_set
    where pair_rank = 1
)

select * from final
