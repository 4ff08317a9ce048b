{{ config(meta={'dagster': {'ref': {'name': 'fct_workforce_snapshot'}}}) }}
-- Enrollment state is reproducible from the event log: an employee is enrolled at year end
-- exactly when they were a census participant or have an enrollment event, and their
-- deferral rate is the rate of their latest enrollment or escalation event (else the
-- census rate).
with

census_participants as (
    select employee_id, deferral_rate
    from {{ ref('stg_census') }}
    where active and deferral_rate > 0
),

rate_events as (
    select
        employee_id,
        simulation_year,
        rate_after,
        row_number() over (
            partition by employee_id order by simulation_year desc, event_sequence desc
        ) as recency
    from {{ ref('fct_yearly_events') }}
    where event_type in ('enrollment', 'deferral_escalation')
),

replayed as (
    select
        snapshot.simulation_year,
        snapshot.employee_id,
        snapshot.is_enrolled,
        snapshot.deferral_rate,
        census_participants.employee_id is not null
            or exists (
                select 1 from rate_events
                where rate_events.employee_id = snapshot.employee_id
                    and rate_events.simulation_year <= snapshot.simulation_year
            ) as replayed_enrolled,
        coalesce(
            (
                select rate_events.rate_after from rate_events
                where rate_events.employee_id = snapshot.employee_id
                    and rate_events.simulation_year <= snapshot.simulation_year
                order by rate_events.simulation_year desc, rate_events.recency
                limit 1
            ),
            census_participants.deferral_rate,
            0
        ) as replayed_rate
    from {{ ref('fct_workforce_snapshot') }} as snapshot
    left join census_participants on census_participants.employee_id = snapshot.employee_id
)

select *
from replayed
where is_enrolled <> replayed_enrolled
    or (is_enrolled and deferral_rate <> replayed_rate)
