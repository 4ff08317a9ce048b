-- Exactly H - X of this year's hires leave before year end; each leaves on a day between
-- their hire date and 31 December.
with

hires as (
    select
        replicate,
        employee_id,
        hire_date,
        level,
        annual_pay,
        {{ draw('new_hire_termination') }} as termination_draw,
        {{ draw('new_hire_termination_date') }} as termination_date_draw
    from {{ ref('int_hires') }}
    where simulation_year = {{ var('simulation_year') }}
),

ranked as (
    select
        *,
        row_number() over (partition by replicate order by termination_draw, employee_id) as termination_rank
    from hires
)

select
    {{ scenario_columns('ranked.replicate') }},
    ranked.employee_id,
    ranked.level,
    ranked.annual_pay,
    ranked.hire_date,
    ranked.hire_date
        + cast(floor(ranked.termination_date_draw * {{ days_between('ranked.hire_date', year_end()) }}) as integer)
        as termination_date
from ranked
inner join {{ ref('int_workforce_plan') }} as plan
    on plan.replicate = ranked.replicate
    and plan.simulation_year = {{ var('simulation_year') }}
where ranked.termination_rank <= plan.new_hire_terminations
