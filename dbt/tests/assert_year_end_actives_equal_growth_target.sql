{{ config(meta={'dagster': {'ref': {'name': 'fct_yearly_summary'}}}) }}
-- Year-end actives (counted in the snapshot) equal round(start x (1 + g)) in every year and replicate.
with

snapshot_actives as (
    select simulation_year, replicate, count(*) as counted_actives
    from {{ ref('fct_workforce_snapshot') }}
    where employment_status = 'active'
    group by simulation_year, replicate
)

select
    summary.simulation_year,
    summary.replicate,
    summary.active_headcount_start,
    summary.active_headcount_end,
    snapshot_actives.counted_actives
from {{ ref('fct_yearly_summary') }} as summary
left join snapshot_actives
    on snapshot_actives.simulation_year = summary.simulation_year
    and snapshot_actives.replicate = summary.replicate
where coalesce(snapshot_actives.counted_actives, 0)
    <> cast(
        round(summary.active_headcount_start * (1 + cast({{ var('target_growth_rate') }} as decimal(12, 6)))) as bigint
    )
