-- Employee deferrals: the deferral rate times the pay earned while enrolled and eligible (rates
-- change on the escalation date, pay on the review date), on compensation capped at 401(a)(17)
-- (the deferral is scaled by limit / pay when the pay is higher), limited to 402(g) plus the
-- catch-up for the age attained by 31 December (414(v), leavers included), which is the larger
-- super catch-up at ages 60-63 where the limits have one (from 2025, SECURE 2.0 section 109).
-- Also what the match is computed on: the deferrals made on pay earned from the match
-- eligibility date (the 402(g) limit stops deferrals late in the year, so the unmatched ones
-- are those before that date) and that pay, capped at 401(a)(17). Every amount is computed
-- exactly and rounded once to the cent (macros/money.sql).
with

participants as (
    select
        employment.replicate,
        employment.employee_id,
        employment.age_at_year_end,
        employment.last_day_worked,
        employment.start_pay,
        employment.final_pay,
        employment.pay_change_date,
        employment.prorated_pay,
        participation.is_enrolled,
        participation.contributions_from,
        greatest(participation.contributions_from, employment.match_eligibility_date) as matched_from,
        participation.rate_before_escalation,
        participation.deferral_rate,
        coalesce(participation.escalation_date, {{ year_end() }} + 1) as rate_change_date
    from {{ ref('int_employment_year') }} as employment
    inner join {{ ref('int_plan_participation') }} as participation
        on participation.employee_id = employment.employee_id
        and participation.simulation_year = employment.simulation_year
        and participation.replicate = employment.replicate
    where employment.simulation_year = {{ var('simulation_year') }}
),

limits as (
    select * from {{ ref('int_irs_limits') }} where simulation_year = {{ var('simulation_year') }}
),

-- pay while deferring in cent-days, all of it and from the match eligibility date, and the
-- deferrals before rounding, all of them and those before the match eligibility date
earned as (
    select
        participants.*,
        {{ cent_days_earned('contributions_from', 'last_day_worked') }} as enrolled_cent_days,
        {{ cent_days_earned('matched_from', 'last_day_worked') }} as matched_cent_days,
        {{ rate_cent_days_earned('contributions_from', 'last_day_worked') }} as deferral_rate_cent_days,
        {{ rate_cent_days_earned('contributions_from', 'least(last_day_worked, matched_from - 1)') }}
            as unmatched_deferral_rate_cent_days
    from participants
    where participants.is_enrolled
),

-- 401(a)(17): a deferral is scaled by limit / pay when the pay counted for the year is higher
-- (in HUGEINT: rate x pay x limit passes BIGINT's range)
requested as (
    select
        earned.replicate,
        earned.employee_id,
        earned.enrolled_cent_days,
        earned.matched_cent_days,
        {% for deferral in ['deferral', 'unmatched_deferral'] %}
        case when earned.enrolled_cent_days > 0 then
            {{ divide_rounded(
                'cast(earned.' ~ deferral ~ '_rate_cent_days as hugeint)'
                    ~ ' * least(earned.enrolled_cent_days, '
                    ~ cents('limits.compensation_limit') ~ ' * ' ~ days_in_year() ~ ')',
                'cast(earned.enrolled_cent_days as hugeint) * ' ~ days_in_year() ~ ' * 100000000',
                2
            ) }}
        else 0 end as requested_{{ deferral }}{{ ',' if not loop.last }}
        {% endfor %}
    from earned
    inner join limits on limits.replicate = earned.replicate
),

limited as (
    select
        participants.replicate,
        participants.employee_id,
        participants.prorated_pay,
        coalesce(requested.enrolled_cent_days, 0) as enrolled_cent_days,
        coalesce(requested.matched_cent_days, 0) as matched_cent_days,
        coalesce(requested.requested_deferral, 0) as requested_deferral,
        coalesce(requested.requested_unmatched_deferral, 0) as requested_unmatched_deferral,
        limits.elective_deferral_limit,
        limits.compensation_limit,
        limits.elective_deferral_limit
            + case
                when participants.age_at_year_end between 60 and 63 and limits.super_catch_up_limit is not null
                    then limits.super_catch_up_limit
                when participants.age_at_year_end >= 50 then limits.catch_up_limit
                else 0
            end as deferral_limit
    from participants
    left join requested
        on requested.employee_id = participants.employee_id and requested.replicate = participants.replicate
    inner join limits on limits.replicate = participants.replicate
),

contributed as (
    select
        limited.*,
        least(requested_deferral, deferral_limit) as employee_contribution_amount
    from limited
)

select
    {{ scenario_columns() }},
    employee_id,
    cast({{ divide_rounded('enrolled_cent_days', days_in_year() ~ ' * 100', 2) }} as decimal(14, 2)) as enrolled_pay,
    cast(
        {{ divide_rounded(
            'least(matched_cent_days, ' ~ cents('compensation_limit') ~ ' * ' ~ days_in_year() ~ ')',
            days_in_year() ~ ' * 100',
            2
        ) }} as decimal(14, 2)
    ) as match_compensation,
    cast(least(prorated_pay, compensation_limit) as decimal(14, 2)) as plan_compensation,
    cast(deferral_limit as decimal(14, 2)) as deferral_limit,
    cast(employee_contribution_amount as decimal(14, 2)) as employee_contribution_amount,
    -- the part above 402(g) is catch-up, which 415(c) does not count
    cast(greatest(0, employee_contribution_amount - elective_deferral_limit) as decimal(14, 2)) as catch_up_amount,
    -- deferrals before the match eligibility date come first in the year, the 402(g) limit last
    cast(
        employee_contribution_amount - least(employee_contribution_amount, requested_unmatched_deferral)
        as decimal(14, 2)
    ) as matched_deferral_amount,
    requested_deferral > 0 and requested_deferral >= elective_deferral_limit as is_at_402g_limit
from contributed
