-- Merit plus COLA on the review date for starting actives who stay the whole year.
-- Merit by level (seed merit_by_level) is scaled so that its payroll-weighted average
-- equals the scenario's merit budget; COLA is added on top. A promotion on the same day
-- comes first, so the raise applies to the promoted pay and level.
with

stayers as (
    select
        start_population.employee_id,
        coalesce(promotions.level_after, start_population.level) as level,
        coalesce(promotions.pay_after, start_population.annual_pay) as pay_before
    from {{ ref('int_workforce_start') }} as start_population
    left join {{ ref('int_experienced_terminations') }} as leavers
        on leavers.employee_id = start_population.employee_id
        and leavers.simulation_year = start_population.simulation_year
    left join {{ ref('int_promotions') }} as promotions
        on promotions.employee_id = start_population.employee_id
        and promotions.simulation_year = start_population.simulation_year
    where start_population.simulation_year = {{ var('simulation_year') }}
        and leavers.employee_id is null
),

with_merit as (
    select stayers.*, merit.merit_rate as level_merit_rate
    from stayers
    inner join {{ ref('merit_by_level') }} as merit
        on merit.level = stayers.level
),

budget_scale as (
    select
        {{ rate('merit_budget') }}
            / nullif(sum(pay_before * level_merit_rate) / nullif(sum(pay_before), 0), 0) as merit_scale
    from with_merit
),

raised as (
    select
        with_merit.employee_id,
        with_merit.level,
        with_merit.pay_before,
        coalesce(with_merit.level_merit_rate * budget_scale.merit_scale, 0) as merit_rate,
        {{ rate('cola_rate') }} as cola_rate
    from with_merit
    cross join budget_scale
)

select
    {{ scenario_columns() }},
    employee_id,
    level,
    pay_before,
    merit_rate,
    cola_rate,
    cast(round(pay_before * (1 + merit_rate + cola_rate), 2) as decimal(14, 2)) as pay_after,
    {{ review_date() }} as effective_date
from raised
where merit_rate + cola_rate > 0
