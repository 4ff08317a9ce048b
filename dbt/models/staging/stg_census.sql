select
    employee_id,
    birth_date,
    hire_date,
    termination_date,
    active,
    cast(annual_pay as decimal(14, 2)) as annual_pay,
    cast(deferral_rate as decimal(8, 6)) as deferral_rate,
    cast(scheduled_hours as integer) as scheduled_hours
from {{ source('planwise', 'census') }}
