{{ config(meta={'dagster': {'ref': {'name': 'fct_ensemble_summary'}}}) }}
-- Each year has one row for every numeric column of fct_yearly_summary and no other; each row
-- summarizes all the scenario's replicates, and its band is in order: lowest <= P10 <= median
-- <= P90 <= highest, with the mean between the lowest and the highest.
{% set summary = ref('fct_yearly_summary') %}
with

ensemble as (
    select * from {{ ref('fct_ensemble_summary') }}
),

summary_metrics as (
    select column_name as metric
    from information_schema.columns
    where table_catalog = '{{ summary.database }}'
        and table_schema = '{{ summary.schema }}'
        and table_name = '{{ summary.identifier }}'
        and (
            data_type like 'DECIMAL%' or data_type in ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'DOUBLE')
        )
        and column_name not in ('simulation_year', 'replicate')
),

expected as (
    select years.simulation_year, summary_metrics.metric
    from (select distinct simulation_year from {{ summary }}) as years
    cross join summary_metrics
)

select simulation_year, metric, 'band out of order or replicates missing' as problem
from ensemble
where replicates <> {{ var('replicates') }}
    or not (min_value <= p10_value and p10_value <= p50_value and p50_value <= p90_value and p90_value <= max_value)
    or not mean_value between min_value and max_value

union all

select simulation_year, metric, 'more than one row' as problem
from ensemble
group by simulation_year, metric
having count(*) > 1

union all

select
    coalesce(expected.simulation_year, ensemble.simulation_year),
    coalesce(expected.metric, ensemble.metric),
    case when ensemble.metric is null then 'metric missing' else 'not a numeric column of the summary' end as problem
from expected
full outer join ensemble
    on ensemble.simulation_year = expected.simulation_year and ensemble.metric = expected.metric
where expected.metric is null or ensemble.metric is null
