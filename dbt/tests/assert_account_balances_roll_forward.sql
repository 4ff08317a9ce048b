{{ config(meta={'dagster': {'ref': {'name': 'int_account_balances'}}}) }}
-- Every account rolls forward: its balance at the start, the year's investment return and
-- contributions, less forfeiture and distribution, is its balance at year end; and every
-- account that ends a year active or with a balance starts the next year with that balance.
with

balances as (
    select * from {{ ref('int_account_balances') }}
),

not_rolled as (
    select simulation_year, replicate, employee_id, 'does not add up' as problem
    from balances
    where employee_balance_at_start + employer_balance_at_start + investment_return_amount
        + employee_contribution_amount + employer_contribution_amount - forfeiture_amount - distribution_amount
        <> employee_balance + employer_balance
),

not_carried as (
    select
        previous.simulation_year + 1 as simulation_year,
        previous.replicate,
        previous.employee_id,
        'not carried into the next year' as problem
    from balances as previous
    left join balances as next
        on next.employee_id = previous.employee_id
        and next.simulation_year = previous.simulation_year + 1
        and next.replicate = previous.replicate
    where previous.simulation_year < (select max(latest.simulation_year) from balances as latest)
        and (previous.employment_status = 'active' or previous.employee_balance + previous.employer_balance > 0)
        and (
            next.employee_id is null
            or next.employee_balance_at_start <> previous.employee_balance
            or next.employer_balance_at_start <> previous.employer_balance
        )
)

select * from not_rolled
union all
select * from not_carried
