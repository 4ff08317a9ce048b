{# Generic test: a key is present and unique within each simulation year (one snapshot row per employee per year). #}
{% test unique_per_year(model, column_name) %}
select simulation_year, {{ column_name }}, count(*) as rows_per_year
from {{ model }}
group by simulation_year, {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}
