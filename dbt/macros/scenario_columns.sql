{# The identity columns carried on every row of every model. #}
{% macro scenario_columns() -%}
    '{{ var('scenario_id') }}' as scenario_id,
    '{{ var('plan_design_id') }}' as plan_design_id,
    {{ var('simulation_year') }} as simulation_year
{%- endmacro %}
