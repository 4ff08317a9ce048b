-- Plan eligibility: the later of the hire date plus the waiting period and the date the
-- employee reaches the minimum age. Eligible this year if that date falls on or before
-- their last day worked; an eligibility event when it falls inside this year's employment.
with

employment as (
    select *
    from {{ ref('int_employment_year') }}
    where simulation_year = {{ var('simulation_year') }}
),

dated as (
    select
        employee_id,
        first_day_worked,
        last_day_worked,
        greatest(
            hire_date + {{ var('eligibility_waiting_period_days') }},
            cast(birth_date + to_years({{ var('eligibility_minimum_age') }}) as date)
        ) as eligibility_date
    from employment
)

select
    {{ scenario_columns() }},
    employee_id,
    eligibility_date,
    eligibility_date <= last_day_worked as is_eligible,
    eligibility_date between {{ year_start() }} and last_day_worked as became_eligible_this_year
from dated
