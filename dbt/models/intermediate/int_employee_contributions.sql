-- Employee deferrals: the deferral rate times the pay actually earned while enrolled
-- (rate changes on the escalation date, pay on the review date), on compensation capped
-- at 401(a)(17), and limited to 402(g) plus the age-50 catch-up (414(v)), which is the
-- larger super catch-up at ages 60-63 from 2025 (SECURE 2.0 section 109).
with

participants as (
    select
        employment.employee_id,
        employment.age,
        employment.first_day_worked,
        employment.last_day_worked,
        employment.start_pay,
        employment.final_pay,
        employment.pay_change_date,
        employment.prorated_pay,
        participation.is_enrolled,
        participation.contributions_from,
        participation.rate_before_escalation,
        participation.deferral_rate,
        coalesce(participation.escalation_date, {{ year_end() }} + 1) as rate_change_date
    from {{ ref('int_employment_year') }} as employment
    inner join {{ ref('int_plan_participation') }} as participation
        on participation.employee_id = employment.employee_id
        and participation.simulation_year = employment.simulation_year
    where employment.simulation_year = {{ var('simulation_year') }}
),

limits as (
    select * from {{ ref('int_irs_limits') }} where simulation_year = {{ var('simulation_year') }}
),

earned as (
    select
        participants.*,
        case when is_enrolled then
            {{ pay_earned('contributions_from', 'least(last_day_worked, rate_change_date - 1)') }}
        else 0 end as pay_before_rate_change,
        case when is_enrolled then
            {{ pay_earned('greatest(contributions_from, rate_change_date)', 'last_day_worked') }}
        else 0 end as pay_after_rate_change
    from participants
),

capped as (
    select
        earned.*,
        pay_before_rate_change + pay_after_rate_change as enrolled_pay,
        -- 401(a)(17): only compensation up to the limit counts for the plan
        least(1, limits.compensation_limit / nullif(pay_before_rate_change + pay_after_rate_change, 0)) as cap_factor,
        least(earned.prorated_pay, limits.compensation_limit) as plan_compensation,
        limits.elective_deferral_limit
            + case
                when earned.age between 60 and 63 and {{ var('simulation_year') }} >= 2025 then limits.super_catch_up_limit
                when earned.age >= 50 then limits.catch_up_limit
                else 0
            end as deferral_limit,
        limits.elective_deferral_limit
    from earned
    cross join limits
),

requested as (
    select
        capped.*,
        coalesce(cap_factor, 0) * (rate_before_escalation * pay_before_rate_change + deferral_rate * pay_after_rate_change)
            as requested_deferral,
        least(enrolled_pay, enrolled_pay * coalesce(cap_factor, 0)) as match_compensation
    from capped
)

select
    {{ scenario_columns() }},
    employee_id,
    cast(round(enrolled_pay, 2) as decimal(14, 2)) as enrolled_pay,
    cast(round(match_compensation, 2) as decimal(14, 2)) as match_compensation,
    cast(round(plan_compensation, 2) as decimal(14, 2)) as plan_compensation,
    cast(deferral_limit as decimal(14, 2)) as deferral_limit,
    cast(round(least(requested_deferral, deferral_limit), 2) as decimal(14, 2)) as employee_contribution_amount,
    -- the part above 402(g) is catch-up, which 415(c) does not count
    cast(round(greatest(0, least(requested_deferral, deferral_limit) - elective_deferral_limit), 2) as decimal(14, 2))
        as catch_up_amount,
    requested_deferral > 0 and requested_deferral >= elective_deferral_limit as is_at_402g_limit
from requested
