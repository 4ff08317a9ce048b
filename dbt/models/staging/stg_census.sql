select
    employee_id,
    birth_date,
    hire_date,
    termination_date,
    active,
    cast(annual_pay as decimal(14, 2)) as annual_pay,
    cast(deferral_rate as decimal(8, 6)) as deferral_rate,
    cast(scheduled_hours as integer) as scheduled_hours,
    cast(employee_balance as decimal(14, 2)) as employee_balance,
    cast(employer_balance as decimal(14, 2)) as employer_balance,
    cast(vesting_service_years as integer) as vesting_service_years,
    cast(prior_year_compensation as decimal(14, 2)) as prior_year_compensation,
    cast(ownership_rate as decimal(8, 6)) as ownership_rate,
    cast(is_officer as boolean) as is_officer
from {{ source('planwise', 'census') }}
