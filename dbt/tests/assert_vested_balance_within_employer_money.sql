{{ config(meta={'dagster': {'ref': {'name': 'fct_workforce_snapshot'}}}) }}
-- The vested balance never exceeds the employer money received, and a leaver's vested
-- balance plus forfeiture is exactly that money.
select simulation_year, replicate, employee_id, employer_money_amount, vested_balance_amount, forfeiture_amount
from {{ ref('fct_workforce_snapshot') }}
where vested_balance_amount > employer_money_amount
    or vested_balance_amount < 0
    or (employment_status = 'terminated' and vested_balance_amount + forfeiture_amount <> employer_money_amount)
