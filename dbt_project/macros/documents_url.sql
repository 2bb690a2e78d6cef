{#- The "Go to documents" link: the documents_url_template var with {client_id},
    {category} and {status} replaced by URL-encoded values. Values are encoded before
    they are substituted, so a value can never inject another placeholder. -#}
{% macro documents_url(client_id, url_slug, status) -%}
    {%- set template = var('documents_url_template') -%}
    replace(
        replace(
            replace(
                '{{ dbt.escape_single_quotes(template) }}',
                '{client_id}', {{ url_encode(client_id) }}
            ),
            '{category}', {{ url_encode(url_slug) }}
        ),
        '{status}', {{ url_encode(status) }}
    )
{%- endmacro %}
