{{ config(meta={'dagster': {'ref': {'name': 'fct_yearly_events'}}}) }}
-- depends_on: {{ ref('fct_yearly_events') }}
-- A scenario's file holds rows of that scenario only: every simulated table is checked
-- (one check for all of them, rather than one per model).
{% set tables = [] %}
{% if execute %}
    {% for node in graph.nodes.values() %}
        {% if node.resource_type == 'model' and node.config.materialized != 'view' %}
            {% do tables.append((node.name, node.relation_name)) %}
        {% endif %}
    {% endfor %}
{% endif %}
{% if tables %}
    {% for name, relation in tables %}
select '{{ name }}' as model, scenario_id, count(*) as foreign_rows
from {{ relation }}
where scenario_id is distinct from '{{ var('scenario_id') }}'
group by scenario_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% else %}
select null as model, null as scenario_id, 0 as foreign_rows where false
{% endif %}
