{{ config(meta={'dagster': {'ref': {'name': 'int_workforce_start'}}}) }}
-- Year N's year-end actives are exactly year N+1's starting population (same people), in each replicate.
with

year_end_actives as (
    select simulation_year + 1 as next_year, replicate, employee_id
    from {{ ref('fct_workforce_snapshot') }}
    where employment_status = 'active'
),

next_year_starts as (
    select simulation_year as next_year, replicate, employee_id
    from {{ ref('int_workforce_start') }}
    where simulation_year > {{ var('start_year') }}
),

compared_years as (
    select distinct next_year from next_year_starts
)

select
    coalesce(year_end_actives.next_year, next_year_starts.next_year) as next_year,
    coalesce(year_end_actives.replicate, next_year_starts.replicate) as replicate,
    coalesce(year_end_actives.employee_id, next_year_starts.employee_id) as employee_id,
    year_end_actives.employee_id is null as missing_from_year_end,
    next_year_starts.employee_id is null as missing_from_next_start
from year_end_actives
full outer join next_year_starts
    on next_year_starts.next_year = year_end_actives.next_year
    and next_year_starts.employee_id = year_end_actives.employee_id
    and next_year_starts.replicate = year_end_actives.replicate
where
    coalesce(year_end_actives.next_year, next_year_starts.next_year)
    in (select compared_years.next_year from compared_years)
    and (year_end_actives.employee_id is null or next_year_starts.employee_id is null)
