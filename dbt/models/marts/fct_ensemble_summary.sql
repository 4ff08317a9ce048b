-- One row per scenario-year and metric: how a key metric is spread over the scenario's replicates
-- (docs/ensembles.md). The metrics are every numeric column of fct_yearly_summary (all but its
-- identity columns and the match formula's name). For each: how many replicates, their mean, the
-- 10th, 50th and 90th percentiles, and the smallest and largest value. A percentile interpolates
-- linearly between the sorted values (quantile_cont, Excel's PERCENTILE.INC: the p-th of n values
-- is at position (n - 1) p): exact at seven decimal places, since the values have at most six and
-- the positions are in tenths. Every statistic is then rounded half up (away from zero) to six
-- decimal places, the mean computed exactly on integers (macros/money.sql), as DECIMAL(38, 6).
-- A value missing in a replicate (an average over nobody) is left out of its statistics, but the
-- replicate is counted.
with

summary as (
    select
        replicate,
        cast(
            columns(* exclude (scenario_id, plan_design_id, simulation_year, replicate, match_formula))
            as decimal(38, 6)
        )
    from {{ ref('fct_yearly_summary') }}
    where simulation_year = {{ var('simulation_year') }}
),

metric_values as (
    from summary
    unpivot include nulls (metric_value for metric in (columns(* exclude (replicate))))
)

select
    {{ scenario_columns(replicate=none) }},
    metric,
    count(*) as replicates,
    -- the sum in millionths, HUGEINT: a thousand replicates of a large plan's balance pass BIGINT's range
    cast(
        {{ divide_rounded_signed('sum(cast(metric_value * 1000000 as hugeint))', 'nullif(count(metric_value), 0)', 0) }}
            * 0.000001 as decimal(38, 6)
    ) as mean_value,
    {% for percentile in [10, 50, 90] -%}
    cast(round(quantile_cont(cast(metric_value as decimal(38, 7)), {{ percentile / 100 }}), 6) as decimal(38, 6))
        as p{{ percentile }}_value,
    {% endfor -%}
    min(metric_value) as min_value,
    max(metric_value) as max_value
from metric_values
group by metric
