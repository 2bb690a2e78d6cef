{#- Percent-encoding of a text value for use inside a URL (RFC 3986 unreserved characters
    are kept). -#}
{% macro url_encode(expression) -%}
    {{ return(adapter.dispatch('url_encode', 'client_insights')(expression)) }}
{%- endmacro %}

{% macro duckdb__url_encode(expression) -%}
    url_encode({{ expression }})
{%- endmacro %}

{% macro spark__url_encode(expression) -%}
    replace(url_encode({{ expression }}), '+', '%20')
{%- endmacro %}

{% macro default__url_encode(expression) -%}
    {#- Engines without an encoder: the values placed in URLs here are ids, slugs and status
        names; encode the reserved characters they could contain ('%' first). -#}
    {%- set reserved = [('%', '%25'), (' ', '%20'), ('/', '%2F'), ('?', '%3F'), ('#', '%23'),
                        ('&', '%26'), ('=', '%3D'), ('+', '%2B'), ('{', '%7B'), ('}', '%7D')] -%}
    {%- set ns = namespace(sql=expression) -%}
    {%- for character, encoded in reserved -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ character ~ "', '" ~ encoded ~ "')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}
