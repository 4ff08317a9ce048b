-- Employer match and core (non-elective) contributions, then the 415(c) annual additions
-- limit, then vesting. Nobody receives employer money on pay earned before their eligibility
-- date for it (int_employment_year).
-- Match: the active formula's tiers on the deferrals made from the match eligibility date,
-- against the pay earned from that date (both from int_employee_contributions): each tier
-- matches match_rate of the deferrals between deferral_from and deferral_to of that pay, which
-- is the tier's rate on the contributed deferral rate without dividing by the pay. For a
-- service-graded or points formula the band is chosen by years of service or age + service.
-- Core: a flat or service-graded rate of the plan compensation earned from the core
-- eligibility date. Each also needs the year's hours, being active at year end and being an
-- eligible new hire, as the scenario says.
-- 415(c): the annual additions (deferrals without catch-up, match and core) may not exceed the
-- lesser of the dollar limit and 100% of the participant's compensation (415(c)(1)(B)): the
-- pay earned in the year while employed, deferrals included (415(c)(3)(D)), capped at
-- 401(a)(17) (Treas. Reg. 1.415(c)-2(f)), i.e. plan_compensation. An excess reduces core
-- first, then match. Deferrals are never reduced: without catch-up they are at most 100% of
-- the same capped pay (deferral rates are at most 100%), so employer money always covers it.
-- Then vesting: the employer money is last year's balance, its investment return for the year
-- (macros/balances.sql; the year's match and core, allocated at year end, earn none) and this
-- year's match and core; vesting service is whole years from the vesting service date (the hire
-- date unless the census said otherwise) to the last day worked and the vested share follows the
-- scenario's schedule; a leaver forfeits the non-vested part of the employer money. Money is exact
-- and rounded once (macros/money.sql).
with

limits as (
    select replicate, annual_additions_limit, compensation_limit
    from {{ ref('int_irs_limits') }}
    where simulation_year = {{ var('simulation_year') }}
),

people as (
    select
        employment.replicate,
        employment.employee_id,
        employment.employment_status,
        employment.is_new_hire,
        employment.hours_worked,
        employment.age,
        employment.tenure_years,
        employment.employer_balance_at_start,
        employment.vested_pct_at_start,
        {{ investment_return('employment.employer_balance_at_start') }} as employer_return_amount,
        {{ whole_years('employment.vesting_service_date', 'employment.last_day_worked') }} as vesting_service_years,
        contributions.employee_contribution_amount,
        contributions.catch_up_amount,
        contributions.matched_deferral_amount,
        contributions.match_compensation,
        contributions.plan_compensation,
        least(
            {{ divide_rounded(
                cent_days_earned(
                    'greatest(employment.first_day_worked, employment.core_eligibility_date)',
                    'employment.last_day_worked',
                    'employment.start_pay', 'employment.final_pay', 'employment.pay_change_date'
                ),
                days_in_year() ~ ' * 100',
                2
            ) }},
            limits.compensation_limit
        ) as core_compensation,
        least(limits.annual_additions_limit, contributions.plan_compensation) as annual_additions_limit
    from {{ ref('int_employment_year') }} as employment
    inner join {{ ref('int_employee_contributions') }} as contributions
        on contributions.employee_id = employment.employee_id
        and contributions.simulation_year = employment.simulation_year
        and contributions.replicate = employment.replicate
    inner join limits on limits.replicate = employment.replicate
    where employment.simulation_year = {{ var('simulation_year') }}
),

match_tiers as (
    select
        band_minimum,
        cast(deferral_from as decimal(8, 6)) as deferral_from,
        cast(deferral_to as decimal(8, 6)) as deferral_to,
        cast(match_rate as decimal(8, 6)) as match_rate
    from {{ rows_table('match_tiers', ['band_minimum', 'deferral_from', 'deferral_to', 'match_rate']) }}
),

match_band as (
    select
        people.replicate,
        people.employee_id,
        {{ match_band_measure('people.age', 'people.tenure_years') }} as band_measure
    from people
),

formula_match as (
    select
        match_band.replicate,
        match_band.employee_id,
        round(sum(
            match_tiers.match_rate * greatest(
                0,
                least(people.matched_deferral_amount, match_tiers.deferral_to * people.match_compensation)
                    - match_tiers.deferral_from * people.match_compensation
            )
        ), 2) as match_amount
    from match_band
    inner join people on people.employee_id = match_band.employee_id and people.replicate = match_band.replicate
    inner join match_tiers
        on match_tiers.band_minimum = (
            select max(tiers.band_minimum) from match_tiers as tiers where tiers.band_minimum <= match_band.band_measure
        )
    group by match_band.replicate, match_band.employee_id
),

core_bands as (
    select minimum_service, cast(rate as decimal(8, 6)) as rate
    from {{ rows_table('core_bands', ['minimum_service', 'rate']) }}
),

core_rate as (
    select
        people.replicate,
        people.employee_id,
        (
            select core_bands.rate from core_bands
            where core_bands.minimum_service <= people.tenure_years
            order by core_bands.minimum_service desc
            limit 1
        ) as core_rate
    from people
),

gross as (
    select
        people.*,
        (
            people.hours_worked >= {{ var('match_minimum_hours') }}
            and ({{ 'people.employment_status = \'active\'' if var('match_requires_active_at_year_end') else 'true' }})
            and ({{ 'true' if var('match_includes_new_hires') else 'not people.is_new_hire' }})
        ) as is_match_eligible,
        (
            {{ 'true' if var('core_enabled') else 'false' }}
            and people.hours_worked >= {{ var('core_minimum_hours') }}
            and ({{ 'people.employment_status = \'active\'' if var('core_requires_active_at_year_end') else 'true' }})
            and ({{ 'true' if var('core_includes_new_hires') else 'not people.is_new_hire' }})
        ) as is_core_eligible,
        coalesce(formula_match.match_amount, 0) as formula_match_amount,
        coalesce(core_rate.core_rate, 0) as core_rate
    from people
    left join formula_match
        on formula_match.employee_id = people.employee_id and formula_match.replicate = people.replicate
    left join core_rate on core_rate.employee_id = people.employee_id and core_rate.replicate = people.replicate
),

amounts as (
    select
        gross.*,
        case when is_match_eligible then formula_match_amount else 0 end as match_before_415c,
        case when is_core_eligible then round(core_rate * core_compensation, 2) else 0 end as core_before_415c
    from gross
),

limited as (
    select
        amounts.*,
        greatest(
            0,
            (employee_contribution_amount - catch_up_amount) + match_before_415c + core_before_415c
                - annual_additions_limit
        ) as excess_415c
    from amounts
),

employer as (
    select
        limited.*,
        cast(greatest(0, core_before_415c - excess_415c) as decimal(14, 2)) as core_amount,
        cast(greatest(0, match_before_415c - greatest(0, excess_415c - core_before_415c)) as decimal(14, 2))
            as match_amount
    from limited
),

vested as (
    select
        employer.*,
        employer_balance_at_start + employer_return_amount + match_amount + core_amount as employer_money,
        {{ vested_share('vesting_service_years') }} as vested_pct
    from employer
)

select
    {{ scenario_columns() }},
    employee_id,
    core_amount as employer_core_amount,
    match_amount as employer_match_amount,
    cast(excess_415c as decimal(14, 2)) as reduced_by_415c_amount,
    employer_return_amount,
    vesting_service_years,
    vested_pct,
    vested_pct_at_start,
    cast(employer_money as decimal(14, 2)) as employer_money,
    cast(round(employer_money * vested_pct, 2) as decimal(14, 2)) as vested_balance,
    cast(
        case
            when employment_status = 'terminated' then employer_money - round(employer_money * vested_pct, 2)
            else 0
        end
        as decimal(14, 2)
    ) as forfeiture_amount,
    cast(
        case when employment_status = 'terminated' then round(employer_money * vested_pct, 2) else employer_money end
        as decimal(14, 2)
    ) as employer_balance
from vested
