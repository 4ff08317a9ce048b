-- depends_on: {{ ref('match_response_multipliers') }}, {{ ref('age_bands') }}, {{ ref('pay_bands') }}
-- (used only when the match response is on; declared for dbt's graph)
-- Each employed person's plan participation for the year: enrolled (and since when, by
-- which route), their deferral rate before and after any escalation, escalation count and
-- the opt-out flags carried to next year. An employee who opted out of auto-enrollment is
-- never auto-enrolled or escalated again. Deferrals start on the enrollment date, or for
-- those enrolled at the start of the year (census participants among them) on the first day
-- they are both employed and eligible; escalation applies to those deferring by its date.
-- The match response (docs/dc_plan.md, rule 14), when the scenario turns it on: on 1 January
-- of the first simulated year, when the scenario's match formula takes effect, each employee
-- enrolled at the start of the year and deferring less than the rate that earns the whole
-- match (the top of the formula's matched tiers, in their band) moves up to that rate with the
-- scenario's probability times age and pay band multipliers (seed match_response_multipliers);
-- the others keep their rate.
with

employment as (
    select *
    from {{ ref('int_employment_year') }}
    where simulation_year = {{ var('simulation_year') }}
),

enrollments as (
    select replicate, employee_id, effective_date, enrollment_source, deferral_rate
    from {{ ref('int_enrollment_changes') }}
    where simulation_year = {{ var('simulation_year') }} and decision = 'enrollment'
),

opt_outs as (
    select replicate, employee_id
    from {{ ref('int_enrollment_changes') }}
    where simulation_year = {{ var('simulation_year') }} and decision = 'opt_out'
),

{% if var('match_response_enabled') and var('simulation_year') == var('start_year') %}
match_tiers as (
    select band_minimum, cast(deferral_to as decimal(8, 6)) as deferral_to
    from {{ rows_table('match_tiers', ['band_minimum', 'deferral_from', 'deferral_to', 'match_rate']) }}
    where match_rate > 0
),

response_candidates as (
    select
        employment.replicate,
        employment.employee_id,
        employment.deferral_rate_at_start,
        (
            select max(match_tiers.deferral_to)
            from match_tiers
            where match_tiers.band_minimum = (
                select max(band_minimum) from match_tiers
                where band_minimum <= {{ match_band_measure('employment.age', 'employment.tenure_years') }}
            )
        ) as full_match_rate,
        age_bands.age_band,
        pay_bands.pay_band
    from employment
    inner join {{ ref('age_bands') }} as age_bands
        on {{ in_band('employment.age', 'age_bands', 'age') }}
    inner join {{ ref('pay_bands') }} as pay_bands
        on employment.start_pay >= pay_bands.min_pay and employment.start_pay < pay_bands.max_pay
    where employment.enrolled_at_start and not employment.opted_out_at_start
),

response_weighted as (
    {{ with_band_multipliers(
        'response_candidates', 'match_response_multipliers', ['age_band', 'pay_band'], 'response_probability',
        base=var('match_response_probability')
    ) }}
),

match_responses as (
    select replicate, employee_id, full_match_rate
    from response_weighted
    where deferral_rate_at_start < full_match_rate
        and {{ draw('match_response') }} < least(1, response_probability)
),
{% else %}
match_responses as (
    select
        cast(null as integer) as replicate, cast(null as varchar) as employee_id,
        cast(null as decimal(8, 6)) as full_match_rate
    where false
),
{% endif %}

state as (
    select
        employment.replicate,
        employment.employee_id,
        employment.hire_date,
        employment.first_day_worked,
        employment.last_day_worked,
        employment.enrolled_at_start or enrollments.employee_id is not null as is_enrolled,
        case when employment.enrolled_at_start then employment.enrollment_date_at_start
            else enrollments.effective_date end as enrollment_date,
        case when employment.enrolled_at_start then employment.enrollment_source_at_start
            else enrollments.enrollment_source end as enrollment_source,
        case when employment.enrolled_at_start then greatest(employment.first_day_worked, employment.eligibility_date)
            else enrollments.effective_date end as contributions_from,
        coalesce(
            case when employment.enrolled_at_start
                then coalesce(match_responses.full_match_rate, employment.deferral_rate_at_start) end,
            enrollments.deferral_rate,
            0
        ) as rate_before_escalation,
        case when match_responses.employee_id is not null then employment.deferral_rate_at_start end
            as rate_before_match_response,
        employment.opted_out_at_start or opt_outs.employee_id is not null as has_opted_out,
        employment.enrolled_at_start,
        employment.escalation_opted_out_at_start,
        employment.escalation_count_at_start
    from employment
    left join enrollments
        on enrollments.employee_id = employment.employee_id and enrollments.replicate = employment.replicate
    left join opt_outs on opt_outs.employee_id = employment.employee_id and opt_outs.replicate = employment.replicate
    left join match_responses
        on match_responses.employee_id = employment.employee_id and match_responses.replicate = employment.replicate
),

escalation as (
    select
        state.*,
        make_date(
            {{ var('simulation_year') }}, {{ var('escalation_effective_month') }}, {{ var('escalation_effective_day') }}
        )
            as escalation_date,
        state.escalation_opted_out_at_start
            or {{ draw('escalation_opt_out') }} < {{ var('escalation_opt_out_rate') }} as escalation_opted_out
    from state
),

escalated as (
    select
        escalation.*,
        {{ 'true' if var('escalation_enabled') else 'false' }}
            and escalation.enrolled_at_start
            and not escalation.has_opted_out
            and not escalation.escalation_opted_out
            and escalation.contributions_from <= escalation.escalation_date
            and escalation.last_day_worked >= escalation.escalation_date
            and coalesce(escalation.enrollment_date, date '1900-01-01') + to_years({{ var('escalation_delay_years') }})
                <= escalation.escalation_date
            and escalation.hire_date >= coalesce({{ date_var('escalation_hire_date_cutoff') }}, date '1900-01-01')
            -- a rate at or above the cap is never changed, in particular never lowered
            and escalation.rate_before_escalation < {{ var('escalation_maximum_rate') }}
            as is_escalated
    from escalation
)

select
    {{ scenario_columns() }},
    employee_id,
    is_enrolled,
    enrollment_date,
    enrollment_source,
    contributions_from,
    has_opted_out,
    escalation_opted_out,
    is_escalated,
    case when is_escalated then escalation_date end as escalation_date,
    rate_before_match_response is not null as responded_to_match,
    cast(rate_before_match_response as decimal(8, 6)) as rate_before_match_response,
    cast(rate_before_escalation as decimal(8, 6)) as rate_before_escalation,
    cast(
        case
            when is_escalated
                then least(
                    rate_before_escalation + {{ var('escalation_increment') }}, {{ var('escalation_maximum_rate') }}
                )
            else rate_before_escalation
        end as decimal(8, 6)
    ) as deferral_rate,
    escalation_count_at_start + case when is_escalated then 1 else 0 end as escalation_count
from escalated
