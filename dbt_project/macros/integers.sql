{#- The integers 0 .. 10^digits - 1 as a subquery with one column `n`: a portable
    generator for date spines (no generate_series, which differs per engine). -#}
{% macro integers(digits) -%}
    select
        {% for position in range(digits) -%}
        d{{ position }}.n * {{ 10 ** position }}{{ ' + ' if not loop.last }}
        {%- endfor %} as n
    from
        {% for position in range(digits) -%}
        (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d{{ position }} (n)
        {{- ' cross join' if not loop.last }}
        {% endfor %}
{%- endmacro %}
