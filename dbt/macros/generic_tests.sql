{# Generic test: a key is present and unique within each simulation year and replicate (one snapshot row per employee per year). #}
{% test unique_per_year(model, column_name) %}
select simulation_year, replicate, {{ column_name }}, count(*) as rows_per_year
from {{ model }}
group by simulation_year, replicate, {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}

{#
  Generic test on a model's replicate column: each simulation year has exactly one row for each
  of the scenario's replicates, 0 to replicates - 1 (a model of yearly totals).
#}
{% test one_row_per_replicate(model, column_name) %}
select simulation_year, count(*) as rows_in_year, count(distinct {{ column_name }}) as replicates_in_year
from {{ model }}
group by simulation_year
having simulation_year is null
    or count(*) <> {{ var('replicates') }}
    or count(distinct {{ column_name }}) <> {{ var('replicates') }}
    or min({{ column_name }}) <> 0
    or max({{ column_name }}) <> {{ var('replicates') }} - 1
{% endtest %}
