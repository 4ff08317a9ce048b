-- The immutable event log of one scenario-year: hires, terminations (experienced and
-- new-hire), promotions and raises. Re-running a year replaces exactly that year's rows.
-- event_id is deterministic (scenario, year, employee, event type), and event_sequence
-- orders an employee's events within the year.
with

hires as (
    select
        employee_id,
        'hire' as event_type,
        1 as event_sequence,
        hire_date as effective_date,
        cast(null as integer) as level_before,
        level as level_after,
        cast(null as decimal(14, 2)) as pay_before,
        annual_pay as pay_after
    from {{ ref('int_hires') }}
    where simulation_year = {{ var('simulation_year') }}
),

promotions as (
    select
        employee_id,
        'promotion' as event_type,
        2 as event_sequence,
        effective_date,
        level_before,
        level_after,
        pay_before,
        pay_after
    from {{ ref('int_promotions') }}
    where simulation_year = {{ var('simulation_year') }}
),

raises as (
    select
        employee_id,
        'raise' as event_type,
        3 as event_sequence,
        effective_date,
        level as level_before,
        level as level_after,
        pay_before,
        pay_after
    from {{ ref('int_merit_raises') }}
    where simulation_year = {{ var('simulation_year') }}
),

experienced_terminations as (
    select
        employee_id,
        'termination' as event_type,
        4 as event_sequence,
        termination_date as effective_date,
        level as level_before,
        cast(null as integer) as level_after,
        annual_pay as pay_before,
        cast(null as decimal(14, 2)) as pay_after
    from {{ ref('int_experienced_terminations') }}
    where simulation_year = {{ var('simulation_year') }}
),

new_hire_terminations as (
    select
        employee_id,
        'new_hire_termination' as event_type,
        4 as event_sequence,
        termination_date as effective_date,
        level as level_before,
        cast(null as integer) as level_after,
        annual_pay as pay_before,
        cast(null as decimal(14, 2)) as pay_after
    from {{ ref('int_new_hire_terminations') }}
    where simulation_year = {{ var('simulation_year') }}
),

all_events as (
    select * from hires
    union all
    select * from promotions
    union all
    select * from raises
    union all
    select * from experienced_terminations
    union all
    select * from new_hire_terminations
),

people as (
    select employee_id, birth_date, hire_date
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
    union all
    select employee_id, birth_date, hire_date
    from {{ ref('int_hires') }}
    where simulation_year = {{ var('simulation_year') }}
),

banded as (
    select
        all_events.*,
        {{ whole_years('people.birth_date', 'all_events.effective_date') }} as age_at_event,
        {{ whole_years('people.hire_date', 'all_events.effective_date') }} as tenure_at_event
    from all_events
    inner join people
        on people.employee_id = all_events.employee_id
)

select
    '{{ var('scenario_id') }}' || ':' || {{ var('simulation_year') }} || ':' || banded.employee_id || ':' || banded.event_type
        as event_id,
    {{ scenario_columns() }},
    banded.employee_id,
    banded.event_type,
    banded.event_sequence,
    banded.effective_date,
    banded.level_before,
    banded.level_after,
    banded.pay_before,
    banded.pay_after,
    age_bands.age_band,
    tenure_bands.tenure_band
from banded
inner join {{ ref('age_bands') }} as age_bands
    on {{ in_band('banded.age_at_event', 'age_bands', 'age') }}
inner join {{ ref('tenure_bands') }} as tenure_bands
    on {{ in_band('banded.tenure_at_event', 'tenure_bands', 'tenure') }}
