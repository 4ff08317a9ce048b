{#
  The ledger of completed years: a year counts as simulated only once every model of the year
  has been written. dbt commits each model on its own, so a run killed or failing halfway
  through a year leaves some of the year's tables new and others old; the year's row is
  removed when its run starts and added back only when every model of the run succeeded
  (on-run-end, which a killed process never reaches). The next year refuses to start from a
  year that is not in the ledger (planwise_assets/defs/simulation/runner.py).
#}
{% macro completed_years_relation() -%}
    {{ api.Relation.create(database=target.database, schema=target.schema, identifier='completed_years') }}
{%- endmacro %}

{% macro forget_completed_year() %}
    {% if flags.WHICH == 'run' %}
        create table if not exists {{ completed_years_relation() }} (
            scenario_id varchar not null,
            simulation_year integer not null
        );
        delete from {{ completed_years_relation() }} where simulation_year = {{ var('simulation_year') }};
    {% endif %}
{% endmacro %}

{% macro record_completed_year(results) %}
    {% set failed = results | rejectattr('status', 'equalto', 'success') | list %}
    {% if flags.WHICH == 'run' and results and not failed %}
        insert into {{ completed_years_relation() }}
        values ('{{ var("scenario_id") }}', {{ var('simulation_year') }});
    {% endif %}
{% endmacro %}
