{{ config(meta={'dagster': {'ref': {'name': 'fct_workforce_snapshot'}}}) }}
-- Enrollment state is reproducible from the event log: an employee is enrolled at year end
-- exactly when they were a census participant or have an enrollment event, and their
-- deferral rate is the rate of their latest enrollment, deferral change or escalation event
-- (else the census rate).
with

census_participants as (
    select employee_id, deferral_rate
    from {{ ref('stg_census') }}
    where active and deferral_rate > 0
),

-- each employee's last rate of each year in which they have a rate event
yearly_rates as (
    select replicate, employee_id, simulation_year, arg_max(new_rate, event_sequence) as new_rate
    from {{ ref('fct_yearly_events') }}
    where event_type in ('enrollment', 'deferral_change', 'deferral_escalation')
    group by replicate, employee_id, simulation_year
),

replayed as (
    select
        snapshot.simulation_year,
        snapshot.replicate,
        snapshot.employee_id,
        snapshot.is_enrolled,
        snapshot.deferral_rate,
        census_participants.employee_id is not null or latest.employee_id is not null as replayed_enrolled,
        coalesce(latest.new_rate, census_participants.deferral_rate, 0) as replayed_rate
    from {{ ref('fct_workforce_snapshot') }} as snapshot
    left join census_participants on census_participants.employee_id = snapshot.employee_id
    -- the latest year with a rate event up to the snapshot's year
    asof left join yearly_rates as latest
        on latest.employee_id = snapshot.employee_id
        and latest.replicate = snapshot.replicate
        and latest.simulation_year <= snapshot.simulation_year
)

select *
from replayed
where is_enrolled <> replayed_enrolled
    or (is_enrolled and deferral_rate <> replayed_rate)
