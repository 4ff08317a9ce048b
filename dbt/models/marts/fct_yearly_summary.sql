-- One row per scenario-year: headcount flow, events and payroll.
with

plan as (
    select active_headcount_start, target_headcount_end
    from {{ ref('int_workforce_plan') }}
    where simulation_year = {{ var('simulation_year') }}
),

events as (
    select
        count(*) filter (where event_type = 'hire') as hires,
        count(*) filter (where event_type = 'termination') as experienced_terminations,
        count(*) filter (where event_type = 'new_hire_termination') as new_hire_terminations,
        count(*) filter (where event_type = 'promotion') as promotions,
        count(*) filter (where event_type = 'raise') as raises
    from {{ ref('fct_yearly_events') }}
    where simulation_year = {{ var('simulation_year') }}
),

snapshot as (
    select
        count(*) filter (where employment_status = 'active') as active_headcount_end,
        sum(prorated_pay) as total_prorated_pay,
        avg(annual_pay) filter (where employment_status = 'active') as average_annual_pay
    from {{ ref('fct_workforce_snapshot') }}
    where simulation_year = {{ var('simulation_year') }}
)

select
    {{ scenario_columns() }},
    plan.active_headcount_start,
    snapshot.active_headcount_end,
    plan.target_headcount_end,
    events.hires,
    events.experienced_terminations,
    events.new_hire_terminations,
    events.promotions,
    events.raises,
    cast(snapshot.total_prorated_pay as decimal(18, 2)) as total_prorated_pay,
    cast(round(snapshot.average_annual_pay, 2) as decimal(14, 2)) as average_annual_pay
from plan
cross join events
cross join snapshot
