-- The year's IRS limits, and the HCE and key-employee thresholds of the year before (the
-- look-back year of IRC 414(q)(1)(B) and the top-heavy determination year of 416(i)(1)(A)).
-- Published years come from the irs_limits seed (2019 on: 2019 only as the look-back year of a
-- 2020 start); a later year is the last published value grown by the scenario's projection
-- rate and rounded down to the statutory increment (402(g) and catch-ups $500, 415(c) $1,000,
-- 401(a)(17), HCE and key employee $5,000), and flagged as an estimate. The super catch-up is
-- null before 2025, when it did not exist. The limits are assumptions, the same in every replicate
-- (one row each, so that each replicate's models join their own).
with

published as (
    select * from {{ ref('irs_limits') }}
),

latest as (
    select * from published order by plan_year desc limit 1
),

-- this year and the year before
plan_years as (
    select unnest([{{ var('simulation_year') }} - 1, {{ var('simulation_year') }}]) as plan_year
),

growth as (
    select
        plan_years.plan_year,
        -- the EXCLUDE list names latest's own column, which sqlfluff takes for an unqualified reference
        latest.* exclude (plan_year),  -- noqa: RF02
        pow(1 + {{ rate('irs_projection_rate') }}, plan_years.plan_year - latest.plan_year) as factor
    from plan_years
    cross join latest
    where plan_years.plan_year > latest.plan_year
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
        plan_year,
        {% for limit, increment in projected_limits.items() %}
        floor(cast({{ limit }} * factor as decimal(18, 6)) / {{ increment }}) * {{ increment }} as {{ limit }},
        {% endfor %}
        true as is_estimate
    from growth
),

by_year as (
    select
        plan_year, elective_deferral_limit, catch_up_limit, super_catch_up_limit, annual_additions_limit,
        compensation_limit, hce_threshold, key_employee_threshold, false as is_estimate
    from published
    where published.plan_year in (select plan_years.plan_year from plan_years)
    union all
    select * from projected
),

this_year as (
    select * from by_year where plan_year = {{ var('simulation_year') }}
),

look_back_year as (
    select hce_threshold, key_employee_threshold from by_year where plan_year = {{ var('simulation_year') }} - 1
)

select
    {{ scenario_columns('replicates.replicate') }},
    cast(this_year.elective_deferral_limit as decimal(14, 2)) as elective_deferral_limit,
    cast(this_year.catch_up_limit as decimal(14, 2)) as catch_up_limit,
    cast(this_year.super_catch_up_limit as decimal(14, 2)) as super_catch_up_limit,
    cast(this_year.annual_additions_limit as decimal(14, 2)) as annual_additions_limit,
    cast(this_year.compensation_limit as decimal(14, 2)) as compensation_limit,
    cast(this_year.hce_threshold as decimal(14, 2)) as hce_threshold,
    cast(this_year.key_employee_threshold as decimal(14, 2)) as key_employee_threshold,
    this_year.is_estimate,
    cast(look_back_year.hce_threshold as decimal(14, 2)) as prior_year_hce_threshold,
    cast(look_back_year.key_employee_threshold as decimal(14, 2)) as prior_year_key_employee_threshold
from this_year
cross join look_back_year
cross join {{ replicate_numbers() }} as replicates
