-- The IRS limits for the simulation year. Published years come from the irs_limits seed
-- (2020 on); a later year is the last published value grown by the scenario's projection rate
-- and rounded down to the statutory increment (402(g) and catch-ups $500, 415(c) $1,000,
-- 401(a)(17), HCE and key employee $5,000), and flagged as an estimate. The super catch-up is
-- null before 2025, when it did not exist.
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
        pow(1 + {{ rate('irs_projection_rate') }}, {{ var('simulation_year') }} - latest.plan_year) as factor
    from latest
),

-- The growth factor is the one floating-point step left (DuckDB has no exact power of a
-- decimal): the projected value is taken to six decimal places, far finer than the rounding
-- down to $500 or more that follows, and then that rounding is exact.
{% set projected_limits = {
    'elective_deferral_limit': 500, 'catch_up_limit': 500, 'super_catch_up_limit': 500,
    'annual_additions_limit': 1000, 'compensation_limit': 5000, 'hce_threshold': 5000,
    'key_employee_threshold': 5000,
} %}
projected as (
    select
        {{ var('simulation_year') }} as plan_year,
        {% for limit, increment in projected_limits.items() %}
        floor(cast({{ limit }} * factor as decimal(18, 6)) / {{ increment }}) * {{ increment }} as {{ limit }},
        {% endfor %}
        true as is_estimate
    from growth
    where {{ var('simulation_year') }} > plan_year
),

this_year as (
    select
        plan_year, elective_deferral_limit, catch_up_limit, super_catch_up_limit, annual_additions_limit,
        compensation_limit, hce_threshold, key_employee_threshold, false as is_estimate
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
    cast(key_employee_threshold as decimal(14, 2)) as key_employee_threshold,
    is_estimate
from this_year
