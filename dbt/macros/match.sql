{#
  What chooses an employee's band of a graded match formula: years of service for a
  service-graded formula, age + service for a points formula, nothing (one band) otherwise.
#}
{% macro match_band_measure(age, tenure_years) -%}
    {%- if var('match_basis') == 'service' -%}
        {{ tenure_years }}
    {%- elif var('match_basis') == 'points' -%}
        {{ age }} + {{ tenure_years }}
    {%- else -%}
        0
    {%- endif -%}
{%- endmacro %}
