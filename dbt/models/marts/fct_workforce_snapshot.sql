-- Everyone employed at some point in the year, as of 31 December (or their last day):
-- status, age and tenure at year end, level, pay rate and pay earned (prorated by days
-- worked, at the old rate before the review date and the new rate from it).
-- Year N's active rows are year N+1's starting population.
with

start_population as (
    select
        employee_id, birth_date, hire_date, level, annual_pay, deferral_rate, scheduled_hours,
        false as is_new_hire
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
),

hires as (
    select
        employee_id, birth_date, hire_date, level, annual_pay, deferral_rate, scheduled_hours,
        true as is_new_hire
    from {{ ref('int_hires') }}
    where simulation_year = {{ var('simulation_year') }}
),

employed as (
    select * from start_population
    union all
    select * from hires
),

year_events as (
    select
        employee_id,
        max(effective_date) filter (where event_type in ('termination', 'new_hire_termination'))
            as termination_date,
        -- the raise follows the promotion on the same day, so the last pay_after is the final rate
        arg_max(pay_after, event_sequence) filter (where event_type in ('promotion', 'raise')) as new_pay,
        max(level_after) filter (where event_type = 'promotion') as new_level,
        min(effective_date) filter (where event_type in ('promotion', 'raise')) as pay_change_date
    from {{ ref('fct_yearly_events') }}
    where simulation_year = {{ var('simulation_year') }}
    group by employee_id
),

combined as (
    select
        employed.*,
        year_events.termination_date,
        coalesce(year_events.new_level, employed.level) as level_at_year_end,
        coalesce(year_events.new_pay, employed.annual_pay) as pay_at_year_end,
        greatest(employed.hire_date, {{ year_start() }}) as first_day_worked,
        coalesce(year_events.termination_date, {{ year_end() }}) as last_day_worked,
        coalesce(year_events.pay_change_date, {{ year_end() }} + 1) as pay_change_date
    from employed
    left join year_events
        on year_events.employee_id = employed.employee_id
)

select
    {{ scenario_columns() }},
    employee_id,
    case when termination_date is null then 'active' else 'terminated' end as employment_status,
    birth_date,
    hire_date,
    termination_date,
    is_new_hire,
    {{ whole_years('birth_date', 'last_day_worked') }} as age,
    {{ whole_years('hire_date', 'last_day_worked') }} as tenure_years,
    level_at_year_end as level,
    pay_at_year_end as annual_pay,
    cast(round(
        (
            annual_pay * {{ days_between('first_day_worked', 'least(last_day_worked, pay_change_date - 1)') }}
            + pay_at_year_end * {{ days_between('greatest(first_day_worked, pay_change_date)', 'last_day_worked') }}
        ) / {{ days_in_year() }},
        2
    ) as decimal(14, 2)) as prorated_pay,
    deferral_rate,
    scheduled_hours
from combined
