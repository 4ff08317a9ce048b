-- The year's exact growth algebra (DESIGN.md "Workforce"), one row per scenario-year.
-- N actives at the start, growth g, experienced termination rate t, new-hire termination
-- rate h:  T = round(N(1+g)),  E = round(N t),  X = T - (N - E),
-- hires H = ceil(X / (1 - h)),  new-hire terminations = H - X.
-- When X < 0 the company shrinks faster than attrition: no hires, and N - T leavers.
with

-- A year without actives would simulate nothing from then on, silently: stop, naming the year.
start_population as (
    select
        case
            when count(*) = 0 then error(
                'year {{ var('simulation_year') }} has no active employees at its start '
                || '(an empty census, or nobody active at the end of the year before)'
            )
            else count(*)
        end as active_headcount_start
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
),

algebra as (
    select
        active_headcount_start,
        cast(round(active_headcount_start * (1 + {{ rate('target_growth_rate') }})) as bigint)
            as target_headcount_end,
        cast(round(active_headcount_start * {{ rate('total_termination_rate') }}) as bigint)
            as attrition_terminations,
        -- h in millionths, so that the ceiling below is an exact integer division
        cast(round({{ rate('new_hire_termination_rate') }} * 1000000) as bigint) as new_hire_termination_ppm
    from start_population
),

needed as (
    select
        *,
        target_headcount_end - (active_headcount_start - attrition_terminations) as net_hires_needed
    from algebra
)

select
    {{ scenario_columns() }},
    active_headcount_start,
    target_headcount_end,
    net_hires_needed,
    case
        when net_hires_needed >= 0 then attrition_terminations
        else active_headcount_start - target_headcount_end
    end as experienced_terminations,
    case
        when net_hires_needed > 0
            then {{ ceil_div('net_hires_needed * 1000000', '1000000 - new_hire_termination_ppm') }}
        else 0
    end as hires,
    case
        when net_hires_needed > 0
            then {{ ceil_div('net_hires_needed * 1000000', '1000000 - new_hire_termination_ppm') }}
                - net_hires_needed
        else 0
    end as new_hire_terminations
from needed
