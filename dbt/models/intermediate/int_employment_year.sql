-- Everyone employed at some point in the year with the workforce outcome: last day worked,
-- pay rate at the start and at year end (changing on the review date), level, age and
-- tenure on the last day worked, the age they attain by 31 December (catch-up), and the plan
-- state they started the year with (balances, vested share, vesting service date, ownership,
-- officer flag; a hire starts with none, vesting service from the hire date).
-- Eligibility, one date per source of money (macros/eligibility.sql): deferrals, match and
-- core each from their own waiting period, minimum age and entry dates (match and core default
-- to the deferral settings). Eligible to defer this year if that date falls on or before their
-- last day worked; an eligibility event when it falls inside this year's employment.
with

start_population as (
    select
        replicate, employee_id, birth_date, hire_date, level, annual_pay, deferral_rate, scheduled_hours,
        is_enrolled, enrollment_date, enrollment_source, has_opted_out, escalation_opted_out,
        escalation_count, employee_balance, employer_balance, vested_pct, vesting_service_date,
        ownership_rate, is_officer,
        false as is_new_hire
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
),

hires as (
    select
        replicate, employee_id, birth_date, hire_date, level, annual_pay, deferral_rate, scheduled_hours,
        false as is_enrolled, cast(null as date) as enrollment_date, cast(null as varchar) as enrollment_source,
        false as has_opted_out, false as escalation_opted_out, 0 as escalation_count,
        cast(0 as decimal(14, 2)) as employee_balance, cast(0 as decimal(14, 2)) as employer_balance,
        cast(0 as decimal(6, 4)) as vested_pct, hire_date as vesting_service_date,
        cast(0 as decimal(8, 6)) as ownership_rate, false as is_officer,
        true as is_new_hire
    from {{ ref('int_hires') }}
    where simulation_year = {{ var('simulation_year') }}
),

employed as (
    select * from start_population
    union all
    select * from hires
),

leavers as (
    select replicate, employee_id, termination_date
    from {{ ref('int_experienced_terminations') }}
    where simulation_year = {{ var('simulation_year') }}
    union all
    select replicate, employee_id, termination_date
    from {{ ref('int_new_hire_terminations') }}
    where simulation_year = {{ var('simulation_year') }}
),

promotions as (
    select replicate, employee_id, level_after, pay_after, effective_date
    from {{ ref('int_promotions') }}
    where simulation_year = {{ var('simulation_year') }}
),

raises as (
    select replicate, employee_id, pay_after, effective_date
    from {{ ref('int_merit_raises') }}
    where simulation_year = {{ var('simulation_year') }}
),

combined as (
    select
        employed.*,
        leavers.termination_date,
        coalesce(promotions.level_after, employed.level) as final_level,
        employed.annual_pay as start_pay,
        -- the raise follows a same-day promotion, so it carries the final rate
        coalesce(raises.pay_after, promotions.pay_after, employed.annual_pay) as final_pay,
        coalesce(raises.effective_date, promotions.effective_date, {{ year_end() }} + 1) as pay_change_date,
        greatest(employed.hire_date, {{ year_start() }}) as first_day_worked,
        coalesce(leavers.termination_date, {{ year_end() }}) as last_day_worked,
        {{ eligibility_date(
            var('eligibility_waiting_period_days'), var('eligibility_minimum_age'), var('eligibility_entry_dates'),
            'employed.hire_date', 'employed.birth_date'
        ) }} as eligibility_date,
        {{ eligibility_date(
            var('match_eligibility_waiting_period_days'), var('match_eligibility_minimum_age'),
            var('match_eligibility_entry_dates'), 'employed.hire_date', 'employed.birth_date'
        ) }} as match_eligibility_date,
        {{ eligibility_date(
            var('core_eligibility_waiting_period_days'), var('core_eligibility_minimum_age'),
            var('core_eligibility_entry_dates'), 'employed.hire_date', 'employed.birth_date'
        ) }} as core_eligibility_date
    from employed
    left join leavers on leavers.employee_id = employed.employee_id and leavers.replicate = employed.replicate
    left join promotions on promotions.employee_id = employed.employee_id and promotions.replicate = employed.replicate
    left join raises on raises.employee_id = employed.employee_id and raises.replicate = employed.replicate
)

select
    {{ scenario_columns() }},
    employee_id,
    case when termination_date is null then 'active' else 'terminated' end as employment_status,
    birth_date,
    hire_date,
    termination_date,
    is_new_hire,
    first_day_worked,
    last_day_worked,
    {{ whole_years('birth_date', 'last_day_worked') }} as age,
    {{ whole_years('hire_date', 'last_day_worked') }} as tenure_years,
    -- IRC 414(v)(5): catch-up eligibility is by the age attained by the end of the year, leavers included
    {{ whole_years('birth_date', year_end()) }} as age_at_year_end,
    final_level as level,
    start_pay,
    final_pay,
    pay_change_date,
    cast(
        {{ divide_rounded(cent_days_earned('first_day_worked', 'last_day_worked'), days_in_year() ~ ' * 100', 2) }}
        as decimal(14, 2)
    ) as prorated_pay,
    scheduled_hours,
    -- scheduled hours for the days actually worked, for hours-based contribution eligibility
    cast(
        {{ divide_rounded(
            'scheduled_hours * ' ~ days_between('first_day_worked', 'last_day_worked'), days_in_year(), 0
        ) }}
        as integer
    ) as hours_worked,
    deferral_rate as deferral_rate_at_start,
    is_enrolled as enrolled_at_start,
    enrollment_date as enrollment_date_at_start,
    enrollment_source as enrollment_source_at_start,
    has_opted_out as opted_out_at_start,
    escalation_opted_out as escalation_opted_out_at_start,
    escalation_count as escalation_count_at_start,
    employee_balance as employee_balance_at_start,
    employer_balance as employer_balance_at_start,
    vested_pct as vested_pct_at_start,
    vesting_service_date,
    ownership_rate,
    is_officer,
    eligibility_date,
    eligibility_date <= last_day_worked as is_eligible,
    eligibility_date between {{ year_start() }} and last_day_worked as became_eligible_this_year,
    match_eligibility_date,
    core_eligibility_date
from combined
