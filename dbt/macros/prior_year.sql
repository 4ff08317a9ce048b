{#
  A model's table as this scenario's previous year left it (filter it on simulation_year - 1).

  This is the one way a model reads another year: fct_workforce_snapshot for year N-1 is the
  starting population of year N and the look-back year of its HCE and top-heavy tests, and
  int_account_balances and fct_compliance carry their own rows forward (former employees'
  accounts, the prior-year NHCE averages). It cannot be a ref(): that would make a cycle in dbt's
  graph (and in Dagster's). The ordering is guaranteed instead by the self-dependency of every
  model on its own previous year, which makes Dagster run the years in order. A model reading its
  own table does so in a MATERIALIZED CTE, read whole before the statement inserts: on one
  thread, DuckDB 2.0 let a plain scan see the rows the same INSERT was adding
  (tests/test_determinism.py showed it at one thread).
#}
{% macro prior_year(model) -%}
    {{ api.Relation.create(database=this.database, schema=this.schema, identifier=model) }}
{%- endmacro %}
