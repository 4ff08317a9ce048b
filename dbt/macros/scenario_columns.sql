{#
  The identity columns carried on every row of every model: the scenario, its plan design, the
  simulation year and the replicate (0 to replicates - 1; docs/ensembles.md). `replicate` is the
  expression holding the row's replicate; none for a model whose rows summarize all replicates.
#}
{% macro scenario_columns(replicate='replicate') -%}
    '{{ var('scenario_id') }}' as scenario_id,
    '{{ var('plan_design_id') }}' as plan_design_id,
    {{ var('simulation_year') }} as simulation_year
    {%- if replicate is not none %},
    cast({{ replicate }} as integer) as replicate
    {%- endif %}
{%- endmacro %}

{#
  The scenario's replicates as a relation of one integer column `replicate`: what the census and
  the assumptions are crossed with (every replicate starts from the same census), and the rows an
  aggregate per replicate starts from, so that a replicate with nothing to count still has its row.
#}
{% macro replicate_numbers() -%}
    (select cast(range as integer) as replicate from range({{ var('replicates') }}))
{%- endmacro %}
