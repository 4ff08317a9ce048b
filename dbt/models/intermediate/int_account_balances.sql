-- Every account in the plan during the year, one row per person: everyone employed in the year
-- and every former employee who kept a balance. Each rolls forward (docs/dc_plan.md, rule 10):
-- balance at the start + investment return (macros/balances.sql) + the year's contributions
-- - forfeiture - distribution = balance at year end, for the employee account (deferrals) and the
-- employer account (match and core; its return, vesting and forfeiture come from
-- int_employer_contributions). A leaver takes the whole vested balance out when leaving with the
-- scenario's distribution rate (a seeded draw); otherwise, as every earlier leaver, they keep it
-- in the plan, where it earns the return. Former employees: in the first year the census's
-- leavers with a balance, later last year's accounts of everyone not active at its end.
with

employed as (
    select
        employment.replicate,
        employment.employee_id,
        employment.employment_status,
        employment.employee_balance_at_start,
        employment.employer_balance_at_start,
        contributions.employee_contribution_amount,
        employer.employer_match_amount + employer.employer_core_amount as employer_contribution_amount,
        {{ investment_return('employment.employee_balance_at_start', 'contributions.employee_contribution_amount') }}
            as employee_return_amount,
        employer.employer_return_amount,
        employer.forfeiture_amount,
        employer.employer_balance as employer_balance_kept,
        {% if var('leaver_distribution_rate') > 0 -%}
        employment.employment_status = 'terminated'
            and {{ draw('leaver_distribution', 'employment.employee_id', replicate='employment.replicate') }}
                < {{ var('leaver_distribution_rate') }}
        {%- else -%}
        false
        {%- endif %} as takes_distribution
    from {{ ref('int_employment_year') }} as employment
    inner join {{ ref('int_employee_contributions') }} as contributions
        on contributions.employee_id = employment.employee_id
        and contributions.simulation_year = employment.simulation_year
        and contributions.replicate = employment.replicate
    inner join {{ ref('int_employer_contributions') }} as employer
        on employer.employee_id = employment.employee_id
        and employer.simulation_year = employment.simulation_year
        and employer.replicate = employment.replicate
    where employment.simulation_year = {{ var('simulation_year') }}
),

-- Read whole before the insert begins (materialized): this statement inserts into the table it
-- reads, and DuckDB 2.0, running it on one thread, let this scan see the rows being inserted.
former_at_start as materialized (
{% if var('simulation_year') == var('start_year') %}
    select
        replicates.replicate,
        census.employee_id,
        census.employee_balance as employee_balance_at_start,
        census.employer_balance as employer_balance_at_start
    from {{ ref('stg_census') }} as census
    cross join {{ replicate_numbers() }} as replicates
    where not census.active and census.employee_balance + census.employer_balance > 0
{% else %}
    select
        replicate,
        employee_id,
        employee_balance as employee_balance_at_start,
        employer_balance as employer_balance_at_start
    from {{ prior_year('int_account_balances') }}
    where simulation_year = {{ var('simulation_year') }} - 1
        and employment_status <> 'active'
        and employee_balance + employer_balance > 0
{% endif %}
),

accounts as (
    select
        replicate,
        employee_id,
        employment_status,
        employee_balance_at_start,
        employer_balance_at_start,
        employee_contribution_amount,
        employer_contribution_amount,
        employee_return_amount,
        employer_return_amount,
        forfeiture_amount,
        employee_balance_at_start + employee_return_amount + employee_contribution_amount as employee_balance_kept,
        employer_balance_kept,
        takes_distribution
    from employed
    union all
    select
        replicate,
        employee_id,
        'former' as employment_status,
        employee_balance_at_start,
        employer_balance_at_start,
        0 as employee_contribution_amount,
        0 as employer_contribution_amount,
        {{ investment_return('employee_balance_at_start') }} as employee_return_amount,
        {{ investment_return('employer_balance_at_start') }} as employer_return_amount,
        0 as forfeiture_amount,
        employee_balance_at_start + {{ investment_return('employee_balance_at_start') }} as employee_balance_kept,
        employer_balance_at_start + {{ investment_return('employer_balance_at_start') }} as employer_balance_kept,
        false as takes_distribution
    from former_at_start
)

select
    {{ scenario_columns() }},
    employee_id,
    employment_status,
    cast(employee_balance_at_start as decimal(14, 2)) as employee_balance_at_start,
    cast(employer_balance_at_start as decimal(14, 2)) as employer_balance_at_start,
    cast(employee_contribution_amount as decimal(14, 2)) as employee_contribution_amount,
    cast(employer_contribution_amount as decimal(14, 2)) as employer_contribution_amount,
    cast(employee_return_amount + employer_return_amount as decimal(14, 2)) as investment_return_amount,
    cast(forfeiture_amount as decimal(14, 2)) as forfeiture_amount,
    cast(case when takes_distribution then employee_balance_kept + employer_balance_kept else 0 end as decimal(14, 2))
        as distribution_amount,
    cast(case when takes_distribution then 0 else employee_balance_kept end as decimal(14, 2)) as employee_balance,
    cast(case when takes_distribution then 0 else employer_balance_kept end as decimal(14, 2)) as employer_balance
from accounts
