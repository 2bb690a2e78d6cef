{#- The daily backlog merged on what changed (DuckDB; other engines rebuild it whole).

    int_backlog_document_events holds what each document adds to the backlog, by day; it is
    merged per document like fct_documents (macros/incremental_marts.sql), and its pre-hook
    keeps the rows it is about to replace (`<events>__replaced`) and the mark they were built
    at (`<events>__replaced_since`). fct_client_backlog_daily then compares the replaced rows
    with the new ones: the earliest day on which they differ is where each client x
    category's counts may change, and the build recomputes the days from there on, starting
    from the counts its last build left on the day before. New days when the as-of date moved
    on are recomputed the same way; a client whose activity or first day changed is
    recomputed whole, and one whose observed history starts on another day has that column
    updated. Without a consistent hand-over (a first build,
    changed rules, an as-of moved back, a build of one model without the other) every key is
    recomputed. -#}

{#- Whether a table exists now: a hook of this run may have created it, which dbt's relation
    cache (filled when the run starts) does not know. -#}
{% macro table_exists(relation) -%}
    {%- set query -%}
        select count(*) from information_schema.tables
        where table_schema = '{{ relation.schema }}' and table_name = '{{ relation.identifier }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro replaced_rows_relation(relation) -%}
    {{ return(api.Relation.create(database=relation.database, schema=target.schema,
                                  identifier=relation.identifier ~ '__replaced')) }}
{%- endmacro %}

{% macro replaced_since_relation(relation) -%}
    {{ return(api.Relation.create(database=relation.database, schema=target.schema,
                                  identifier=relation.identifier ~ '__replaced_since')) }}
{%- endmacro %}

{#- Pre-hook of int_backlog_document_events: the documents to replace (the changed ones, and
    those whose rows depend on the as-of instant), their rows as they are, and the mark. -#}
{% macro prepare_affected_backlog_documents() -%}
    {%- if execute and is_incremental() -%}
        {%- set mark = incremental_mark(this.identifier) -%}
        {%- set merge = mark is not none and mark['rules_match'] and not as_of_moved_back(mark) -%}
        create or replace table {{ affected_relation(this) }} as
        {%- if merge %}
        select document_id from ({{ changed_documents_sql(mark, this.identifier) }})
        union
        select document_id from {{ this }} where depends_on_as_of
        {%- else %}
        select document_id from {{ this }}
        union
        select document_id from {{ ref('int_document_versions') }}
        {%- endif %};
        create or replace table {{ replaced_rows_relation(this) }} as
        select * from {{ this }}
        {%- if merge %}
        where document_id in (select document_id from {{ affected_relation(this) }})
        {%- else %}
        where false
        {%- endif %};
        create or replace table {{ replaced_since_relation(this) }} as
        {%- if merge %}
        select '{{ mark["as_of"] }}' as as_of, '{{ mark["log_batch"] }}' as log_batch,
            '{{ mark["log_extracted_at"] }}' as log_extracted_at, false as replaced_all
        {%- else %}
        select '' as as_of, '' as log_batch, '' as log_extracted_at, true as replaced_all
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The state of a client that decides its backlog rows as a whole: whether it is active and
    its first day. (Where its observed history starts only marks rows: see
    mark_backlog_history_observed.) -#}
{% macro backlog_client_state_sql() -%}
    select
        clients.client_id,
        cast(clients.is_active as varchar) || '|'
            || coalesce(cast(observed.first_received_date as varchar), '') as client_state
    from {{ ref('int_clients_current') }} as clients
    left join {{ ref('int_client_history_observed') }} as observed
        on clients.client_id = observed.client_id
{%- endmacro %}

{#- Post-hook of fct_client_backlog_daily: the kept rows of a client whose observed history
    now starts on another day take the new start (the counts do not depend on it). -#}
{% macro mark_backlog_history_observed() -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
        update {{ this }}
        set history_observed_from = observed.history_observed_from,
            is_history_observed = coalesce({{ this }}.calendar_date >= observed.history_observed_from, false)
        from {{ ref('int_client_history_observed') }} as observed
        where {{ this }}.client_id = observed.client_id
            and {{ this }}.history_observed_from is distinct from observed.history_observed_from
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Why the events' replaced rows do not hand over exactly the change since the backlog's mark
    (replaced at that mark, the events built at this build's as-of and log), for the build
    log; empty when they do. -#}
{% macro backlog_hand_over_problem(mark) -%}
    {%- set events = ref('int_backlog_document_events') -%}
    {%- set since = replaced_since_relation(events) -%}
    {%- if mark is none -%}{{ return("no mark of an earlier build") }}
    {%- elif not mark['rules_match'] -%}{{ return("the rules changed") }}
    {%- elif not table_exists(since) -%}
        {{ return("int_backlog_document_events kept no replaced rows") }}
    {%- endif -%}
    {%- set events_mark = incremental_mark(events.identifier) -%}
    {%- set query -%}
        select count(*) from {{ since }} as since
        cross join (
            select coalesce(max(batch_id), '') as log_batch,
                cast(max(extracted_at) as varchar) as log_extracted_at
            from {{ ref('int_document_versions') }}
        ) as log
        where not since.replaced_all
            and since.as_of = '{{ mark["as_of"] }}'
            and since.log_batch = '{{ mark["log_batch"] }}'
            and since.log_extracted_at = '{{ mark["log_extracted_at"] }}'
            and '{{ events_mark["as_of"] if events_mark else "" }}' = '{{ as_of_text() }}'
            and '{{ events_mark["log_batch"] if events_mark else "" }}' = log.log_batch
            and '{{ events_mark["log_extracted_at"] if events_mark else "" }}' = log.log_extracted_at
    {%- endset -%}
    {%- if run_query(query).columns[0].values()[0] != 1 -%}
        {{ return("int_backlog_document_events was not merged since this mart's last build") }}
    {%- endif -%}
    {{ return("") }}
{%- endmacro %}

{#- Pre-hook of fct_client_backlog_daily: per client x category, the first day to recompute
    (`replace_from`); the rows from that day on are replaced. -#}
{% macro prepare_backlog_replace_from() -%}
    {%- if execute and is_incremental() -%}
        {%- set mark = incremental_mark(this.identifier) -%}
        {%- set events = ref('int_backlog_document_events') -%}
        {%- set change_columns = 'client_id, category, event_date, accountant_change, client_change, '
            ~ 'received_count, processed_count, reconstructed_accountant_change, '
            ~ 'reconstructed_client_change' -%}
        {%- set problem = backlog_hand_over_problem(mark) -%}
        {%- set merge = problem == "" -%}
        {%- do log(this.identifier ~ ": " ~ ("merged from the earliest changed day of each client x category"
                   if merge else "every client x category recomputed (" ~ problem ~ ")"),
                   info=True) -%}
        create or replace table {{ affected_relation(this) }} as
        select client_id, category, min(replace_from) as replace_from
        from (
        {%- if merge %}
            -- the earliest day on which a replaced document's rows changed
            select client_id, category, event_date as replace_from
            from (
                (select {{ change_columns }} from {{ replaced_rows_relation(events) }}
                 except all
                 select {{ change_columns }} from {{ events }}
                 where document_id in (select document_id from {{ affected_relation(events) }}))
                union all
                (select {{ change_columns }} from {{ events }}
                 where document_id in (select document_id from {{ affected_relation(events) }})
                 except all
                 select {{ change_columns }} from {{ replaced_rows_relation(events) }})
            ) as changed_rows
            {%- if mark['as_of_date'] != current_as_of_date_text() %}
            union all
            -- the days after the last build's as-of date
            select observed.client_id, categories.category,
                {{ add_days("cast('" ~ mark['as_of_date'] ~ "' as date)", 1) }}
            from {{ ref('int_client_history_observed') }} as observed
            cross join {{ ref('category_url_slugs') }} as categories
            where categories.has_status_breakdown
            {%- endif %}
            union all
            -- clients whose rows change as a whole
            select changed.client_id, categories.category, cast('0001-01-01' as date)
            from ({{ changed_clients_sql(this.identifier, backlog_client_state_sql()) }}) as changed (client_id)
            cross join {{ ref('category_url_slugs') }} as categories
            where categories.has_status_breakdown
        {%- else %}
            select client_id, category, cast('0001-01-01' as date) as replace_from
            from {{ this }}
            group by client_id, category
            union all
            select observed.client_id, categories.category, cast('0001-01-01' as date)
            from {{ ref('int_client_history_observed') }} as observed
            cross join {{ ref('category_url_slugs') }} as categories
            where categories.has_status_breakdown
        {%- endif %}
        ) as replace_keys
        group by client_id, category
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
