{#
  The year's starting actives who stay the whole year (not among its experienced leavers): who
  can be promoted or get a merit raise on the review date. A select, to be used as a CTE.
#}
{% macro stayers() -%}
    select start_population.*
    from {{ ref('int_workforce_start') }} as start_population
    anti join {{ ref('int_experienced_terminations') }} as leavers
        on leavers.employee_id = start_population.employee_id
        and leavers.simulation_year = start_population.simulation_year
        and leavers.replicate = start_population.replicate
    where start_population.simulation_year = {{ var('simulation_year') }}
{%- endmacro %}
