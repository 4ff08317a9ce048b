-- Promotions on the review date among starting actives who stay the whole year.
-- Probability = base rate x age, tenure and level multipliers (the level multiplier
-- dampens senior promotions). One level up, with a raise of promotion_raise_rate, kept
-- inside the new level's band and never below the current pay.
with

stayers as (
    {{ stayers() }}
),

weighted as (
    {{ with_band_multipliers(
        'stayers', 'promotion_hazards', ['age_band', 'tenure_band', 'level'], 'promotion_probability',
        base=rate('promotion_base_rate')
    ) }}
),

candidates as (
    select
        weighted.*,
        {{ draw('promotion') }} as promotion_draw
    from weighted
    where weighted.level < (select max(bands.level) from {{ ref('level_pay_bands') }} as bands)
)

select
    {{ scenario_columns('candidates.replicate') }},
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
