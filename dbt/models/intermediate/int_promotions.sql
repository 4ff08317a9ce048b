-- Promotions on the review date among starting actives who stay the whole year.
-- Probability = base rate x age, tenure and level multipliers (the level multiplier
-- dampens senior promotions). One level up, with a raise of promotion_raise_rate, kept
-- inside the new level's band and never below the current pay.
with

stayers as (
    select start_population.*
    from {{ ref('int_workforce_start') }} as start_population
    left join {{ ref('int_experienced_terminations') }} as leavers
        on leavers.employee_id = start_population.employee_id
        and leavers.simulation_year = start_population.simulation_year
    where start_population.simulation_year = {{ var('simulation_year') }}
        and leavers.employee_id is null
),

hazards as (
    select dimension, band, multiplier
    from {{ ref('promotion_hazards') }}
),

candidates as (
    select
        stayers.*,
        {{ rate('promotion_base_rate') }}
            * age_hazard.multiplier * tenure_hazard.multiplier * level_hazard.multiplier
            as promotion_probability,
        {{ draw('promotion') }} as promotion_draw
    from stayers
    inner join hazards as age_hazard
        on age_hazard.dimension = 'age_band' and age_hazard.band = stayers.age_band
    inner join hazards as tenure_hazard
        on tenure_hazard.dimension = 'tenure_band' and tenure_hazard.band = stayers.tenure_band
    inner join hazards as level_hazard
        on level_hazard.dimension = 'level' and level_hazard.band = cast(stayers.level as varchar)
    where stayers.level < (select max(level) from {{ ref('level_pay_bands') }})
)

select
    {{ scenario_columns() }},
    candidates.employee_id,
    candidates.level as level_before,
    candidates.level + 1 as level_after,
    candidates.annual_pay as pay_before,
    cast(greatest(
        candidates.annual_pay,
        least(
            greatest(round(candidates.annual_pay * (1 + {{ rate('promotion_raise_rate') }}), 2), bands.pay_min),
            bands.pay_max
        )
    ) as decimal(14, 2)) as pay_after,
    candidates.promotion_probability,
    {{ review_date() }} as effective_date
from candidates
inner join {{ ref('level_pay_bands') }} as bands
    on bands.level = candidates.level + 1
where candidates.promotion_draw < candidates.promotion_probability
