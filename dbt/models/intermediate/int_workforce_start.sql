-- Actives at the start of the simulation year, with age, tenure and bands as of 1 January
-- and their plan state. First year: the census actives, placed on a level by pay; census
-- participants (deferral rate > 0) are enrolled at their census rate, with the census's
-- balances, vesting service (as a vesting service date, macros/balances.sql), ownership and
-- officer flag, in every replicate (all replicates start from the same census). Later years:
-- last year's year-end actives with their plan state, replicate by replicate.
with

{% if var('simulation_year') == var('start_year') %}
population as (
    select
        replicates.replicate,
        census.employee_id,
        census.birth_date,
        census.hire_date,
        (
            select coalesce(max(bands.level), 1)
            from {{ ref('level_pay_bands') }} as bands
            where census.annual_pay >= bands.pay_min
        ) as level,
        census.annual_pay,
        census.deferral_rate,
        census.scheduled_hours,
        census.deferral_rate > 0 as is_enrolled,
        cast(null as date) as enrollment_date,
        case when census.deferral_rate > 0 then 'census' end as enrollment_source,
        false as has_opted_out,
        false as escalation_opted_out,
        0 as escalation_count,
        census.employee_balance,
        census.employer_balance,
        {{ vested_share(whole_years(vesting_service_date('census'), census_date())) }} as vested_pct,
        {{ vesting_service_date('census') }} as vesting_service_date,
        census.ownership_rate,
        census.is_officer
    from {{ ref('stg_census') }} as census
    cross join {{ replicate_numbers() }} as replicates
    where census.active
),
{% else %}
population as (
    select
        replicate,
        employee_id,
        birth_date,
        hire_date,
        level,
        annual_pay_amount as annual_pay,
        deferral_rate,
        scheduled_hours,
        is_enrolled,
        enrollment_date,
        enrollment_source,
        has_opted_out,
        escalation_opted_out,
        escalation_count,
        employee_balance_amount as employee_balance,
        employer_balance_amount as employer_balance,
        vested_rate as vested_pct,
        vesting_service_date,
        ownership_rate,
        is_officer
    from {{ prior_year('fct_workforce_snapshot') }}
    where simulation_year = {{ var('simulation_year') }} - 1
        and employment_status = 'active'
),
{% endif %}

dated as (
    select
        population.*,
        {{ whole_years('birth_date', year_start()) }} as age,
        {{ whole_years('hire_date', year_start()) }} as tenure_years
    from population
)

select
    {{ scenario_columns() }},
    dated.employee_id,
    dated.birth_date,
    dated.hire_date,
    dated.level,
    dated.annual_pay,
    dated.deferral_rate,
    dated.scheduled_hours,
    dated.is_enrolled,
    dated.enrollment_date,
    dated.enrollment_source,
    dated.has_opted_out,
    dated.escalation_opted_out,
    dated.escalation_count,
    dated.employee_balance,
    dated.employer_balance,
    dated.vested_pct,
    dated.vesting_service_date,
    dated.ownership_rate,
    dated.is_officer,
    dated.age,
    dated.tenure_years,
    age_bands.age_band,
    tenure_bands.tenure_band
from dated
inner join {{ ref('age_bands') }} as age_bands
    on {{ in_band('dated.age', 'age_bands', 'age') }}
inner join {{ ref('tenure_bands') }} as tenure_bands
    on {{ in_band('dated.tenure_years', 'tenure_bands', 'tenure') }}
