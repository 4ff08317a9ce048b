-- The year's exact growth algebra (DESIGN.md "Workforce"), one row per scenario-year and replicate.
-- N actives at the start, growth g, experienced termination rate t, new-hire termination
-- rate h:  T = round(N(1+g)),  E = round(N t),  X = T - (N - E),
-- hires H = ceil(X / (1 - h)),  new-hire terminations = H - X.
-- When X < 0 the company shrinks faster than attrition: no hires, and N - T leavers.
with

-- A year without actives would simulate nothing from then on, silently: stop, naming the year
-- (and the replicate of an ensemble).
start_population as (
    select
        replicates.replicate,
        case
            when count(start_population.employee_id) = 0 then error(
                'year {{ var('simulation_year') }} has no active employees at its start '
                || '(an empty census, or nobody active at the end of the year before)'
                || case when replicates.replicate > 0 then ' in replicate ' || replicates.replicate else '' end
            )
            else count(start_population.employee_id)
        end as active_headcount_start
    from {{ replicate_numbers() }} as replicates
    left join {{ ref('int_workforce_start') }} as start_population
        on start_population.replicate = replicates.replicate
        and start_population.simulation_year = {{ var('simulation_year') }}
    group by replicates.replicate
),

algebra as (
    select
        replicate,
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
