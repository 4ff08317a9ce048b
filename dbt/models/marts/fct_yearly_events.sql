-- The immutable event log of one scenario-year: workforce events (hire, termination,
-- new_hire_termination, promotion, raise) and plan events (eligibility, enrollment,
-- opt_out, deferral_change (event_detail: the reason), deferral_escalation, employer_match,
-- employer_core, vesting_change, forfeiture, distribution). Re-running a year replaces exactly
-- that year's rows. event_id is
-- deterministic (scenario, year, employee, event type, replicate); event_sequence orders an
-- employee's events within the year.
with

hires as (
    select
        replicate, employee_id, 'hire' as event_type, 1 as event_sequence, hire_date as effective_date,
        cast(null as integer) as previous_level, level as new_level,
        cast(null as decimal(14, 2)) as previous_pay_amount, annual_pay as new_pay_amount,
        cast(null as decimal(8, 6)) as previous_rate, cast(null as decimal(8, 6)) as new_rate,
        cast(null as decimal(14, 2)) as amount, cast(null as varchar) as event_detail
    from {{ ref('int_hires') }}
    where simulation_year = {{ var('simulation_year') }}
),

eligibility as (
    select
        replicate, employee_id, 'eligibility', 2, eligibility_date,
        null, null, null, null, null, null, null, null
    from {{ ref('int_employment_year') }}
    where simulation_year = {{ var('simulation_year') }} and became_eligible_this_year
),

enrollment_decisions as (
    select
        replicate, employee_id, decision, 3, effective_date,
        null, null, null, null,
        null, case when decision = 'enrollment' then deferral_rate end,
        null, enrollment_source
    from {{ ref('int_enrollment_changes') }}
    where simulation_year = {{ var('simulation_year') }}
),

-- an employee moving up to the rate that earns the whole match when the formula changes
match_responses as (
    select
        replicate, employee_id, 'deferral_change', 3, make_date({{ var('simulation_year') }}, 1, 1),
        null, null, null, null,
        rate_before_match_response, rate_before_escalation, null, 'match_response'
    from {{ ref('int_plan_participation') }}
    where simulation_year = {{ var('simulation_year') }} and responded_to_match
),

escalations as (
    select
        replicate, employee_id, 'deferral_escalation', 4, escalation_date,
        null, null, null, null,
        rate_before_escalation, deferral_rate, null, null
    from {{ ref('int_plan_participation') }}
    where simulation_year = {{ var('simulation_year') }} and is_escalated
),

promotions as (
    select
        replicate, employee_id, 'promotion', 5, effective_date,
        level_before, level_after, pay_before, pay_after, null, null, null, null
    from {{ ref('int_promotions') }}
    where simulation_year = {{ var('simulation_year') }}
),

raises as (
    select
        replicate, employee_id, 'raise', 6, effective_date,
        level as previous_level, level as new_level, pay_before, pay_after, null, null, null, null
    from {{ ref('int_merit_raises') }}
    where simulation_year = {{ var('simulation_year') }}
),

employment as (
    select *
    from {{ ref('int_employment_year') }}
    where simulation_year = {{ var('simulation_year') }}
),

employer_money as (
    select
        employer.replicate, employer.employee_id, employment.last_day_worked,
        employer.employer_match_amount, employer.employer_core_amount,
        employer.vested_pct_at_start, employer.vested_pct, employer.forfeiture_amount
    from {{ ref('int_employer_contributions') }} as employer
    inner join employment on employment.employee_id = employer.employee_id and employment.replicate = employer.replicate
    where employer.simulation_year = {{ var('simulation_year') }}
),

matches as (
    select
        replicate, employee_id, 'employer_match', 7, last_day_worked,
        null, null, null, null, null, null, employer_match_amount, null
    from employer_money
    where employer_match_amount > 0
),

core as (
    select
        replicate, employee_id, 'employer_core', 8, last_day_worked,
        null, null, null, null, null, null, employer_core_amount, null
    from employer_money
    where employer_core_amount > 0
),

vesting_changes as (
    select
        replicate, employee_id, 'vesting_change', 9, last_day_worked,
        null, null, null, null, vested_pct_at_start, vested_pct, null, null
    from employer_money
    where vested_pct <> vested_pct_at_start
),

experienced_terminations as (
    select
        replicate, employee_id, 'termination', 10, termination_date,
        level, null, annual_pay, null, null, null, null, null
    from {{ ref('int_experienced_terminations') }}
    where simulation_year = {{ var('simulation_year') }}
),

new_hire_terminations as (
    select
        replicate, employee_id, 'new_hire_termination', 10, termination_date,
        level, null, annual_pay, null, null, null, null, null
    from {{ ref('int_new_hire_terminations') }}
    where simulation_year = {{ var('simulation_year') }}
),

forfeitures as (
    select
        replicate, employee_id, 'forfeiture', 11, last_day_worked,
        null, null, null, null, null, null, forfeiture_amount, null
    from employer_money
    where forfeiture_amount > 0
),

-- a leaver who takes their balance out, on their last day
distributions as (
    select
        accounts.replicate, accounts.employee_id, 'distribution', 12, employment.last_day_worked,
        null, null, null, null, null, null, accounts.distribution_amount, null
    from {{ ref('int_account_balances') }} as accounts
    inner join employment on employment.employee_id = accounts.employee_id and employment.replicate = accounts.replicate
    where accounts.simulation_year = {{ var('simulation_year') }} and accounts.distribution_amount > 0
),

all_events as (
    select * from hires
    union all select * from eligibility
    union all select * from enrollment_decisions
    union all select * from match_responses
    union all select * from escalations
    union all select * from promotions
    union all select * from raises
    union all select * from matches
    union all select * from core
    union all select * from vesting_changes
    union all select * from experienced_terminations
    union all select * from new_hire_terminations
    union all select * from forfeitures
    union all select * from distributions
),

banded as (
    select
        all_events.*,
        {{ whole_years('employment.birth_date', 'all_events.effective_date') }} as age_at_event,
        {{ whole_years('employment.hire_date', 'all_events.effective_date') }} as tenure_at_event
    from all_events
    inner join employment
        on employment.employee_id = all_events.employee_id
        and employment.replicate = all_events.replicate
)

select
    -- a replicate other than 0 ends its ids with :r<replicate>, so replicate 0's are a single run's
    concat_ws(
        ':', '{{ var('scenario_id') }}', {{ var('simulation_year') }}, banded.employee_id, banded.event_type,
        'r' || nullif(banded.replicate, 0)
    ) as event_id,
    {{ scenario_columns('banded.replicate') }},
    banded.employee_id,
    banded.event_type,
    banded.event_sequence,
    banded.effective_date,
    banded.previous_level,
    banded.new_level,
    banded.previous_pay_amount,
    banded.new_pay_amount,
    banded.previous_rate,
    banded.new_rate,
    banded.amount,
    banded.event_detail,
    age_bands.age_band,
    tenure_bands.tenure_band
from banded
inner join {{ ref('age_bands') }} as age_bands
    on {{ in_band('banded.age_at_event', 'age_bands', 'age') }}
inner join {{ ref('tenure_bands') }} as tenure_bands
    on {{ in_band('banded.tenure_at_event', 'tenure_bands', 'tenure') }}
