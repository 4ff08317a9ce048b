{{ config(meta={'dagster': {'ref': {'name': 'fct_yearly_events'}}}) }}
-- Nobody has an event after leaving, and nobody who left is active again later.
with

terminations as (
    select replicate, employee_id, min(effective_date) as termination_date, min(simulation_year) as termination_year
    from {{ ref('fct_yearly_events') }}
    where event_type in ('termination', 'new_hire_termination')
    group by replicate, employee_id
)

select
    events.replicate, events.employee_id, events.event_type, events.effective_date, 'event after termination' as problem
from {{ ref('fct_yearly_events') }} as events
inner join terminations
    on terminations.employee_id = events.employee_id
    and terminations.replicate = events.replicate
where events.effective_date > terminations.termination_date

union all

select
    snapshot.replicate,
    snapshot.employee_id,
    snapshot.employment_status,
    null,
    'in a snapshot after termination year' as problem
from {{ ref('fct_workforce_snapshot') }} as snapshot
inner join terminations
    on terminations.employee_id = snapshot.employee_id
    and terminations.replicate = snapshot.replicate
where snapshot.simulation_year > terminations.termination_year
