-- Employer money and vesting. The employer balance is last year's balance plus this year's
-- match and core (investment returns are not modelled). Vesting service is whole years from
-- hire to the last day worked; the vested share follows the scenario's schedule. A leaver
-- forfeits the non-vested part of the employer balance.
with

people as (
    select
        employment.employee_id,
        employment.employment_status,
        employment.hire_date,
        employment.last_day_worked,
        employment.employer_balance_at_start,
        employment.vested_pct_at_start,
        employer.employer_match_amount,
        employer.employer_core_amount,
        {{ whole_years('employment.hire_date', 'employment.last_day_worked') }} as vesting_service_years
    from {{ ref('int_employment_year') }} as employment
    inner join {{ ref('int_employer_contributions') }} as employer
        on employer.employee_id = employment.employee_id
        and employer.simulation_year = employment.simulation_year
    where employment.simulation_year = {{ var('simulation_year') }}
),

vested as (
    select
        people.*,
        employer_balance_at_start + employer_match_amount + employer_core_amount as employer_money,
        {{ vested_share('vesting_service_years') }} as vested_pct
    from people
)

select
    {{ scenario_columns() }},
    employee_id,
    vesting_service_years,
    vested_pct,
    vested_pct_at_start,
    cast(employer_money as decimal(14, 2)) as employer_money,
    cast(round(employer_money * vested_pct, 2) as decimal(14, 2)) as vested_balance,
    cast(
        case when employment_status = 'terminated' then employer_money - round(employer_money * vested_pct, 2) else 0 end
        as decimal(14, 2)
    ) as forfeiture_amount,
    cast(
        case when employment_status = 'terminated' then round(employer_money * vested_pct, 2) else employer_money end
        as decimal(14, 2)
    ) as employer_balance
from vested
