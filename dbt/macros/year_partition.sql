{#
  Materialization for one simulation year of a model: delete that year's rows, insert the
  new ones. The table is created on first use. It does only what a year partition needs
  (dbt's incremental strategy adds a temporary table and column checks per call, which at
  19 models x N years was most of the run time). A run from a scenario's first year drops
  the tables beforehand (planwise_assets.defs.simulation.runner), so a changed column list never meets
  an old table.
#}
{% materialization year_partition, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {{ run_hooks(pre_hooks) }}
    {% if existing is none %}
        {% call statement('main') -%}
            create table {{ target_relation }} as {{ sql }}
        {%- endcall %}
    {% else %}
        {% call statement('main') -%}
            delete from {{ target_relation }} where simulation_year = {{ var('simulation_year') }};
            insert into {{ target_relation }} by name {{ sql }}
        {%- endcall %}
    {% endif %}
    {{ run_hooks(post_hooks) }}
    {% do adapter.commit() %}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
