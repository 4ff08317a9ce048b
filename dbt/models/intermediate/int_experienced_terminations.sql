-- Exactly E leavers among the year's starting actives, drawn by hazard weight.
-- Weighted sampling without replacement (Efraimidis-Spirakis): each employee gets the key
-- -ln(u) / weight and the E smallest keys leave, so a higher hazard means a higher chance
-- of leaving while the count stays exact.
with

start_population as (
    select *
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
),

hazards as (
    select dimension, band, multiplier
    from {{ ref('termination_hazards') }}
),

weighted as (
    select
        start_population.*,
        age_hazard.multiplier * tenure_hazard.multiplier * level_hazard.multiplier as hazard_weight,
        {{ draw('termination') }} as termination_draw,
        {{ draw('termination_date') }} as termination_date_draw
    from start_population
    inner join hazards as age_hazard
        on age_hazard.dimension = 'age_band' and age_hazard.band = start_population.age_band
    inner join hazards as tenure_hazard
        on tenure_hazard.dimension = 'tenure_band' and tenure_hazard.band = start_population.tenure_band
    inner join hazards as level_hazard
        on level_hazard.dimension = 'level' and level_hazard.band = cast(start_population.level as varchar)
),

ranked as (
    select
        *,
        row_number() over (
            order by -ln(termination_draw) / hazard_weight, employee_id
        ) as termination_rank
    from weighted
    where hazard_weight > 0
)

select
    {{ scenario_columns() }},
    ranked.employee_id,
    ranked.level,
    ranked.annual_pay,
    ranked.age_band,
    ranked.tenure_band,
    ranked.hazard_weight,
    {{ year_start() }} + cast(floor(ranked.termination_date_draw * {{ days_in_year() }}) as integer)
        as termination_date
from ranked
where ranked.termination_rank <= (
    select plan.experienced_terminations
    from {{ ref('int_workforce_plan') }} as plan
    where plan.simulation_year = {{ var('simulation_year') }}
)
