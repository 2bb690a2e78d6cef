{#- Marts merged on what changed (DuckDB; other engines rebuild them whole).

    A mart built this way replaces only its rows of the keys that may have changed since it
    was last built, and keeps the rest. Which keys: each build records a mark
    (`_incremental_marks`: the as-of instant, the newest batch in the version log and the
    newest landing time) and each client's state (`_incremental_client_states`), and the next
    build derives from them the documents that may have changed in between:
    - a version landed in a newer batch, or in an older batch released from a hold since;
    - a version written between the previous as-of instant and this one (the as-of moved
      over it, so the live version or an interval's end changed);
    - every document of a client whose activity or VAT filing frequency changed.
    The rules the marts read (the seeds, the time zone and the link template) are
    fingerprinted; a build whose fingerprint differs from the mark's, or without a mark,
    replaces every row. A pre-hook writes the keys to replace into `<model>__affected`; the
    model's SQL recomputes those keys only; the `replace_affected` strategy deletes every
    target row of those keys and inserts the recomputed ones, so a key that has no rows any
    more (a deleted document, an inactive client) is removed. -#}

{% macro replace_affected_materialization() -%}
    {{ return(adapter.dispatch('replace_affected_materialization', 'client_insights')()) }}
{%- endmacro %}

{% macro default__replace_affected_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__replace_affected_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro affected_relation(relation) -%}
    {{ return(api.Relation.create(database=relation.database, schema=target.schema,
                                  identifier=relation.identifier ~ '__affected')) }}
{%- endmacro %}

{% macro incremental_marks_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema,
                                  identifier='_incremental_marks')) }}
{%- endmacro %}

{% macro incremental_client_states_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema,
                                  identifier='_incremental_client_states')) }}
{%- endmacro %}

{#- The strategy: delete every row of an affected key, insert the recomputed rows. With
    `replace_from_column` (a date column), only the key's rows from the affected row's
    `replace_from` on are replaced. -#}
{% macro get_incremental_replace_affected_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- if keys is string -%}{%- set keys = [keys] -%}{%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set replace_from_column = config.get('replace_from_column') %}
    delete from {{ target_relation }}
    where exists (
        select 1 from {{ affected_relation(target_relation) }} as affected
        where {% for key in keys -%}
            affected.{{ key }} is not distinct from {{ target_relation }}.{{ key }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}
        {%- if replace_from_column %}
            and {{ target_relation }}.{{ replace_from_column }} >= affected.replace_from
        {%- endif %}
    );
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }};
{%- endmacro %}

{#- One text that changes whenever a rule the merged marts read changes. -#}
{% macro incremental_rules_fingerprint() -%}
    md5(
        {%- for seed in ['accounting_status_to_insights_status', 'category_url_slugs',
                         'vat_filing_frequencies'] %}
        coalesce((select string_agg(cast(rule as varchar), '|' order by cast(rule as varchar))
                  from {{ ref(seed) }} as rule), '') || '#' ||
        {%- endfor %}
        '{{ dbt.escape_single_quotes(var("timezone")) }}' || '#' ||
        '{{ dbt.escape_single_quotes(var("documents_url_template")) }}'
    )
{%- endmacro %}

{#- The state of a client that decides which of its documents a mart holds, and how. -#}
{% macro incremental_client_state_sql() -%}
    select
        client_id,
        cast(is_active as varchar) || '|' || coalesce(vat_filing_frequency, '') as client_state
    from {{ ref('int_clients_current') }}
{%- endmacro %}

{#- The model's mark, with `rules_match` telling whether the rules are unchanged; none when the
    model has no mark yet (a first build, or a warehouse built before marks existed). -#}
{% macro incremental_mark(model_name) -%}
    {%- set marks = incremental_marks_relation() -%}
    {%- if adapter.get_relation(marks.database, marks.schema, marks.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select as_of, cast(as_of_date as varchar) as as_of_date, coalesce(log_batch, '') as log_batch,
            cast(log_extracted_at as varchar) as log_extracted_at,
            rules = {{ incremental_rules_fingerprint() }} as rules_match
        from {{ marks }}
        where model = '{{ model_name }}'
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length != 1 or rows[0]['log_extracted_at'] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(rows[0]) }}
{%- endmacro %}

{#- The as-of date of this build as text, to compare with a mark's. -#}
{% macro current_as_of_date_text() -%}
    {{ return(run_query("select cast(" ~ as_of_date() ~ " as varchar)").columns[0].values()[0]) }}
{%- endmacro %}

{#- Whether this build's as-of instant is before the mark's. -#}
{% macro as_of_moved_back(mark) -%}
    {%- set query = "select cast('" ~ mark['as_of'] ~ "' as " ~ type_instant() ~ ") > "
                    ~ as_of_timestamp() -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{#- The documents that may have changed since the mark (see the top of this file). -#}
{% macro changed_documents_sql(mark, model_name) -%}
    {%- set released = released_document_batches_after("cast('" ~ mark['log_extracted_at'] ~ "' as "
                                                       ~ type_instant() ~ ")") -%}
    {%- set previous_as_of = "cast('" ~ mark['as_of'] ~ "' as " ~ type_instant() ~ ")" -%}
    select document_id from {{ ref('int_document_versions') }}
    where batch_id > '{{ mark["log_batch"] }}'
        {%- if released %}
        or batch_id in ('{{ released | join("', '") }}')
        {%- endif %}
        or (updated_at > least({{ previous_as_of }}, {{ as_of_timestamp() }})
            and updated_at <= greatest({{ previous_as_of }}, {{ as_of_timestamp() }}))
        or client_id in ({{ changed_clients_sql(model_name) }})
{%- endmacro %}

{% macro changed_clients_sql(model_name, client_state_sql=none) -%}
    select coalesce(current_state.client_id, stored.client_id)
    from ({{ client_state_sql or incremental_client_state_sql() }}) as current_state
    full outer join (
        select client_id, client_state from {{ incremental_client_states_relation() }}
        where model = '{{ model_name }}'
    ) as stored
        on current_state.client_id = stored.client_id
    where current_state.client_state is distinct from stored.client_state
{%- endmacro %}

{#- Pre-hook of fct_documents: the documents to replace. Open documents are replaced as well
    when the as-of date moved, as their age in days changed. -#}
{% macro prepare_affected_documents() -%}
    {%- if execute and is_incremental() -%}
        {%- set mark = incremental_mark(this.identifier) -%}
        create or replace table {{ affected_relation(this) }} as
        {%- if mark is none or not mark['rules_match'] %}
        select document_id from {{ this }}
        union
        select document_id from {{ ref('int_document_versions') }}
        {%- else %}
        select document_id from ({{ changed_documents_sql(mark, this.identifier) }})
        union
        select document_id from {{ this }}
        where client_id in ({{ changed_clients_sql(this.identifier) }})
            {%- if mark['as_of_date'] != current_as_of_date_text() %}
            or open_age_days is not null
            {%- endif %}
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of fct_client_category_daily: the client x category x activity date keys to
    replace, from every version (old and new) of a changed document and every key of a
    changed client. -#}
{% macro prepare_affected_daily_keys() -%}
    {%- if execute and is_incremental() -%}
        {%- set mark = incremental_mark(this.identifier) -%}
        create or replace table {{ affected_relation(this) }} as
        {%- if mark is none or not mark['rules_match'] %}
        select client_id, category, activity_date from {{ this }}
        union
        select client_id, category, activity_date from {{ ref('fct_documents') }}
        {%- else %}
        select client_id, category, coalesce(issue_date, received_date) as activity_date
        from {{ ref('int_document_versions') }}
        where document_id in ({{ changed_documents_sql(mark, this.identifier) }})
        union
        select client_id, category, activity_date from {{ this }}
        where client_id in ({{ changed_clients_sql(this.identifier) }})
        union
        select client_id, category, activity_date from {{ ref('fct_documents') }}
        where client_id in ({{ changed_clients_sql(this.identifier) }})
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hooks of a merged mart: its new mark and client states (incremental_client_state_sql
    unless the model passes its own), in the build's transaction. -#}
{% macro record_incremental_mark(client_state_sql=none) -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
        {%- set marks = incremental_marks_relation() -%}
        {%- set states = incremental_client_states_relation() -%}
        create table if not exists {{ marks }} (
            model varchar, as_of varchar, as_of_date date, log_batch varchar,
            log_extracted_at {{ type_instant() }}, rules varchar
        );
        create table if not exists {{ states }} (model varchar, client_id varchar, client_state varchar);
        delete from {{ marks }} where model = '{{ this.identifier }}';
        insert into {{ marks }}
        select '{{ this.identifier }}', '{{ as_of_text() }}', {{ as_of_date() }},
            max(batch_id), max(extracted_at), {{ incremental_rules_fingerprint() }}
        from {{ ref('int_document_versions') }};
        delete from {{ states }} where model = '{{ this.identifier }}';
        insert into {{ states }}
        select '{{ this.identifier }}', client_id, client_state
        from ({{ client_state_sql or incremental_client_state_sql() }});
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
