{{ config(meta={'dagster': {'ref': {'name': 'fct_workforce_snapshot'}}}) }}
-- Match and core are computed on compensation no higher than the 401(a)(17) limit.
select
    snapshot.simulation_year,
    snapshot.replicate,
    snapshot.employee_id,
    snapshot.match_compensation_amount,
    snapshot.plan_compensation_amount
from {{ ref('fct_workforce_snapshot') }} as snapshot
inner join {{ ref('int_irs_limits') }} as limits
    on limits.simulation_year = snapshot.simulation_year
    and limits.replicate = snapshot.replicate
where snapshot.match_compensation_amount > limits.compensation_limit
    or snapshot.plan_compensation_amount > limits.compensation_limit
