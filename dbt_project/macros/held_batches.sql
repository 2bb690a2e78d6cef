{#- Rows of a batch that the quality gate holds stay out of every model (see
    pipelines/held_batches.py and the README's "Quality gates"): the staging models keep
    only rows whose batch is not held. `landing.holds` has one row per refused batch; a
    released hold keeps its row with status 'released'. -#}
{% macro not_in_held_batch(entity, batch_column) -%}
not exists (
    select 1
    from {{ source('landing', 'holds') }} as held
    where held.status = 'held'
        and held.entity = '{{ entity }}'
        and held.batch_id = {{ batch_column }}
)
{%- endmacro %}

{#- Document batches released from a hold after the newest landing merged into `log` (the
    incremental int_document_versions): older than that landing, so the incremental run must
    name them to read them. Read at run time; empty on a first or full build. -#}
{% macro released_document_batches(log) -%}
    {{ return(released_document_batches_after("(select max(extracted_at) from " ~ log ~ ")")) }}
{%- endmacro %}

{#- Document batches released from a hold after `instant` (an SQL expression). -#}
{% macro released_document_batches_after(instant) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select held.batch_id
        from {{ source('landing', 'holds') }} as held
        where held.entity = 'documents'
            and held.status = 'released'
            and held.released_at > {{ instant }}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}
