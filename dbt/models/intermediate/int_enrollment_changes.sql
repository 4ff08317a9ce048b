-- depends_on: {{ ref('opt_out_multipliers') }}, {{ ref('voluntary_enrollment') }}
-- (refs used only when auto or voluntary enrollment is enabled; declared for dbt's graph)
-- The year's enrollment decisions for eligible non-participants, each in the year of its date.
-- Auto-enrollment (when enabled, in scope, never opted out): the window opens on the
-- eligibility date (or on 1 January of the first simulated year for those already eligible)
-- and the employee is enrolled at the default rate window_days later, unless they opt out
-- inside the window; the opt-out probability is the scenario's rate times age and pay band
-- multipliers. A window that crosses 31 December is decided once, by the draws of the year it
-- closes in: an opt-out dated in December belongs to the year it opens in (and the employee
-- starts the next year opted out), an enrollment or a January opt-out to the next year. Either
-- is recorded if the employee is employed on its date. Voluntary enrollment (when enabled):
-- the remaining eligible non-participants enroll with the scenario's yearly probability
-- times an age x pay multiplier, at the rate their age and pay band choose.
with

employment as (
    select *
    from {{ ref('int_employment_year') }}
    where simulation_year = {{ var('simulation_year') }}
),

candidates as (
    select
        employment.*,
        age_bands.age_band,
        pay_bands.pay_band
    from employment
    inner join {{ ref('age_bands') }} as age_bands
        on {{ in_band('employment.age', 'age_bands', 'age') }}
    inner join {{ ref('pay_bands') }} as pay_bands
        on employment.start_pay >= pay_bands.min_pay and employment.start_pay < pay_bands.max_pay
    where employment.is_eligible
        and not employment.enrolled_at_start
),

{% if var('auto_enrollment_enabled') %}
auto_windows as (
    select
        candidates.*,
        greatest(candidates.eligibility_date, make_date({{ var('start_year') }}, 1, 1)) as window_opens
    from candidates
    where not candidates.opted_out_at_start
    {% if var('auto_enrollment_scope') == 'new_hires_only' %}
        and candidates.hire_date >= coalesce(
            {{ date_var('auto_enrollment_hire_date_cutoff') }}, make_date({{ var('start_year') }}, 1, 1)
        )
    {% endif %}
),

auto_weighted as (
    {{ with_band_multipliers(
        'auto_windows', 'opt_out_multipliers', ['age_band', 'pay_band'], 'opt_out_probability',
        base=var('auto_enrollment_opt_out_rate')
    ) }}
),

-- the draws of the year the window closes in
auto_candidates as (
    select
        auto_weighted.*,
        auto_weighted.window_opens + {{ var('auto_enrollment_window_days') }} as auto_enrollment_date,
        {{ draw(
            'auto_enrollment_opt_out',
            year='year(auto_weighted.window_opens + ' ~ var('auto_enrollment_window_days') ~ ')'
        ) }}
            as opt_out_draw,
        {{ draw(
            'auto_enrollment_opt_out_date',
            year='year(auto_weighted.window_opens + ' ~ var('auto_enrollment_window_days') ~ ')'
        ) }}
            as opt_out_date_draw
    from auto_weighted
),

auto_outcomes as (
    select
        replicate,
        employee_id,
        last_day_worked,
        case when opt_out_draw < opt_out_probability then 'opt_out' else 'enrollment' end as decision,
        case
            when opt_out_draw < opt_out_probability
                then window_opens + cast(floor(opt_out_date_draw * {{ var('auto_enrollment_window_days') }}) as integer)
            else auto_enrollment_date
        end as effective_date
    from auto_candidates
),

auto_decisions as (
    select
        replicate,
        employee_id,
        decision,
        'auto' as enrollment_source,
        effective_date,
        cast({{ var('auto_enrollment_default_deferral_rate') }} as decimal(8, 6)) as deferral_rate
    from auto_outcomes
    where effective_date between {{ year_start() }} and least(last_day_worked, {{ year_end() }})
),
{% else %}
auto_decisions as (
    select
        cast(null as integer) as replicate, cast(null as varchar) as employee_id, cast(null as varchar) as decision,
        cast(null as varchar) as enrollment_source, cast(null as date) as effective_date,
        cast(null as decimal(8, 6)) as deferral_rate
    where false
),
{% endif %}

{% if var('voluntary_enrollment_enabled') %}
voluntary_decisions as (
    select
        candidates.replicate,
        candidates.employee_id,
        'enrollment' as decision,
        'voluntary' as enrollment_source,
        greatest(candidates.eligibility_date, candidates.first_day_worked)
            + cast(floor(
                {{ draw('voluntary_enrollment_date', 'candidates.employee_id', replicate='candidates.replicate') }}
                * {{ days_between(
                    'greatest(candidates.eligibility_date, candidates.first_day_worked)', 'candidates.last_day_worked'
                ) }}
            ) as integer) as effective_date,
        behaviour.deferral_rate
    from candidates
    inner join {{ ref('voluntary_enrollment') }} as behaviour
        on behaviour.age_band = candidates.age_band and behaviour.pay_band = candidates.pay_band
    left join auto_decisions
        on auto_decisions.employee_id = candidates.employee_id
        and auto_decisions.replicate = candidates.replicate
    where auto_decisions.employee_id is null
        and not candidates.opted_out_at_start
        and {{ draw('voluntary_enrollment', 'candidates.employee_id', replicate='candidates.replicate') }}
            < least(1, {{ var('voluntary_enrollment_probability') }} * behaviour.probability_multiplier)
),
{% else %}
voluntary_decisions as (
    select * from auto_decisions where false
),
{% endif %}

decisions as (
    select * from auto_decisions
    union all
    select * from voluntary_decisions
)

select
    {{ scenario_columns() }},
    employee_id,
    decision,
    enrollment_source,
    effective_date,
    deferral_rate
from decisions
