{{ config(meta={'dagster': {'ref': {'name': 'fct_yearly_events'}}}) }}
-- No escalation above the cap, none that lowers a rate, and none for an employee who
-- opted out of auto-enrollment or of escalation.
select events.simulation_year, events.replicate, events.employee_id, events.previous_rate, events.new_rate
from {{ ref('fct_yearly_events') }} as events
inner join {{ ref('fct_workforce_snapshot') }} as snapshot
    on snapshot.employee_id = events.employee_id and snapshot.simulation_year = events.simulation_year
    and snapshot.replicate = events.replicate
where events.event_type = 'deferral_escalation'
    and (
        events.new_rate > {{ var('escalation_maximum_rate') }}
        or events.new_rate <= events.previous_rate
        or snapshot.has_opted_out
        or snapshot.escalation_opted_out
    )
