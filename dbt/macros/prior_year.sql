{#
  Last year's year-end snapshot of this scenario.

  This is the one place where a model reads another year: fct_workforce_snapshot for
  year N-1 is the starting population of year N. It cannot be a ref(): that would make a
  cycle in dbt's graph (and in Dagster's). The ordering is guaranteed instead by the
  self-dependency of every model on its own previous year, which makes Dagster run the
  years in order.
#}
{% macro prior_year_snapshot() -%}
    {{ api.Relation.create(database=this.database, schema=this.schema, identifier='fct_workforce_snapshot') }}
{%- endmacro %}
