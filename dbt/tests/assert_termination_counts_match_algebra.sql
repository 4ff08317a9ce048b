{{ config(meta={'dagster': {'ref': {'name': 'fct_yearly_summary'}}}) }}
-- Experienced and new-hire terminations and hires (counted from the events) equal the
-- growth algebra: E = round(N t), X = T - (N - E), H = ceil(X / (1 - h)), H - X leave.
with

counted as (
    select
        simulation_year,
        replicate,
        active_headcount_start as n,
        hires,
        experienced_terminations,
        new_hire_terminations,
        cast(round(active_headcount_start * (1 + cast({{ var('target_growth_rate') }} as decimal(12, 6)))) as bigint)
            as t,
        cast(round(active_headcount_start * cast({{ var('total_termination_rate') }} as decimal(12, 6))) as bigint) as e
    from {{ ref('fct_yearly_summary') }}
),

expected as (
    select
        *,
        t - (n - e) as x,
        cast(round(cast({{ var('new_hire_termination_rate') }} as decimal(12, 6)) * 1000000) as bigint) as h_ppm
    from counted
),

expected_counts as (
    select
        *,
        case when x >= 0 then e else n - t end as expected_experienced,
        case when x > 0 then {{ ceil_div('x * 1000000', '1000000 - h_ppm') }} else 0 end as expected_hires
    from expected
)

select *
from expected_counts
where experienced_terminations <> expected_experienced
    or hires <> expected_hires
    or new_hire_terminations <> expected_hires - greatest(x, 0)
