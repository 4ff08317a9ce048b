-- Everyone employed at some point in the year, as of 31 December (or their last day):
-- status, age and tenure, level, pay rate and pay earned (prorated by days worked), and
-- their plan year: eligibility, enrollment, deferral rate, contributions, employer money,
-- vesting and forfeiture, account balances at year end with the year's investment return and
-- any distribution, ownership and officer flag, and whether they are highly compensated and a key
-- employee this year (int_employee_compliance). Year N's active rows (with their plan state)
-- start year N+1.
select
    {{ scenario_columns('employment.replicate') }},
    employment.employee_id,
    employment.employment_status,
    employment.birth_date,
    employment.hire_date,
    employment.termination_date,
    employment.is_new_hire,
    employment.age,
    employment.tenure_years,
    employment.level,
    employment.final_pay as annual_pay_amount,
    employment.prorated_pay as prorated_pay_amount,
    employment.scheduled_hours,
    employment.hours_worked,
    employment.is_eligible,
    employment.eligibility_date,
    participation.is_enrolled,
    participation.enrollment_date,
    participation.enrollment_source,
    participation.deferral_rate,
    participation.escalation_count,
    participation.has_opted_out,
    participation.escalation_opted_out,
    contributions.plan_compensation as plan_compensation_amount,
    contributions.match_compensation as match_compensation_amount,
    contributions.deferral_limit as deferral_limit_amount,
    contributions.employee_contribution_amount,
    contributions.catch_up_amount,
    contributions.is_at_402g_limit,
    employer.employer_match_amount,
    employer.employer_core_amount,
    employer.reduced_by_415c_amount,
    employment.vesting_service_date,
    employer.vesting_service_years,
    employer.vested_pct as vested_rate,
    employer.employer_money as employer_money_amount,
    employer.vested_balance as vested_balance_amount,
    employer.forfeiture_amount,
    accounts.employer_balance as employer_balance_amount,
    accounts.employee_balance as employee_balance_amount,
    accounts.investment_return_amount,
    accounts.distribution_amount,
    employment.ownership_rate,
    employment.is_officer,
    compliance.is_highly_compensated,
    compliance.is_key_employee
from {{ ref('int_employment_year') }} as employment
inner join {{ ref('int_plan_participation') }} as participation
    on participation.employee_id = employment.employee_id and participation.simulation_year = employment.simulation_year
    and participation.replicate = employment.replicate
inner join {{ ref('int_employee_contributions') }} as contributions
    on contributions.employee_id = employment.employee_id and contributions.simulation_year = employment.simulation_year
    and contributions.replicate = employment.replicate
inner join {{ ref('int_employer_contributions') }} as employer
    on employer.employee_id = employment.employee_id and employer.simulation_year = employment.simulation_year
    and employer.replicate = employment.replicate
inner join {{ ref('int_account_balances') }} as accounts
    on accounts.employee_id = employment.employee_id and accounts.simulation_year = employment.simulation_year
    and accounts.replicate = employment.replicate
inner join {{ ref('int_employee_compliance') }} as compliance
    on compliance.employee_id = employment.employee_id and compliance.simulation_year = employment.simulation_year
    and compliance.replicate = employment.replicate
where employment.simulation_year = {{ var('simulation_year') }}
