-- The IRS limits for the simulation year. Published years come from the irs_limits seed;
-- a later year is the last published value grown by the scenario's projection rate and
-- rounded down to the statutory increment (402(g) and catch-up $500, 415(c) $1,000,
-- 401(a)(17) and HCE $5,000), and flagged as an estimate.
with

published as (
    select * from {{ ref('irs_limits') }}
),

latest as (
    select * from published where plan_year = (select max(plan_year) from published)
),

growth as (
    select
        latest.*,
        pow(1 + {{ var('irs_projection_rate') }}, {{ var('simulation_year') }} - latest.plan_year) as factor
    from latest
),

projected as (
    select
        {{ var('simulation_year') }} as plan_year,
        floor(elective_deferral_limit * factor / 500) * 500 as elective_deferral_limit,
        floor(catch_up_limit * factor / 500) * 500 as catch_up_limit,
        floor(super_catch_up_limit * factor / 500) * 500 as super_catch_up_limit,
        floor(annual_additions_limit * factor / 1000) * 1000 as annual_additions_limit,
        floor(compensation_limit * factor / 5000) * 5000 as compensation_limit,
        floor(hce_threshold * factor / 5000) * 5000 as hce_threshold,
        true as is_estimate
    from growth
    where {{ var('simulation_year') }} > plan_year
),

this_year as (
    select
        plan_year, elective_deferral_limit, catch_up_limit, super_catch_up_limit,
        annual_additions_limit, compensation_limit, hce_threshold, false as is_estimate
    from published
    where plan_year = {{ var('simulation_year') }}
    union all
    select * from projected
)

select
    {{ scenario_columns() }},
    cast(elective_deferral_limit as decimal(14, 2)) as elective_deferral_limit,
    cast(catch_up_limit as decimal(14, 2)) as catch_up_limit,
    cast(super_catch_up_limit as decimal(14, 2)) as super_catch_up_limit,
    cast(annual_additions_limit as decimal(14, 2)) as annual_additions_limit,
    cast(compensation_limit as decimal(14, 2)) as compensation_limit,
    cast(hce_threshold as decimal(14, 2)) as hce_threshold,
    is_estimate
from this_year
