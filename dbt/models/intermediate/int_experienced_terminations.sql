-- Exactly E leavers among the year's starting actives, drawn by hazard weight (in each replicate).
-- Weighted sampling without replacement (Efraimidis-Spirakis): each employee gets the key
-- -ln(u) / weight and the E smallest keys leave, so a higher hazard means a higher chance
-- of leaving while the count stays exact.
with

start_population as (
    select *
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
),

weighted as (
    {{ with_band_multipliers(
        'start_population', 'termination_hazards', ['age_band', 'tenure_band', 'level'], 'hazard_weight'
    ) }}
),

ranked as (
    select
        *,
        {{ draw('termination_date') }} as termination_date_draw,
        row_number() over (
            partition by replicate
            order by -ln({{ draw('termination') }}) / hazard_weight, employee_id
        ) as termination_rank
    from weighted
    where hazard_weight > 0
)

select
    {{ scenario_columns('ranked.replicate') }},
    ranked.employee_id,
    ranked.level,
    ranked.annual_pay,
    ranked.age_band,
    ranked.tenure_band,
    ranked.hazard_weight,
    {{ year_start() }} + cast(floor(ranked.termination_date_draw * {{ days_in_year() }}) as integer)
        as termination_date
from ranked
inner join {{ ref('int_workforce_plan') }} as plan
    on plan.replicate = ranked.replicate
    and plan.simulation_year = {{ var('simulation_year') }}
where ranked.termination_rank <= plan.experienced_terminations
