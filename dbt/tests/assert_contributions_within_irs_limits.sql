{{ config(meta={'dagster': {'ref': {'name': 'fct_workforce_snapshot'}}}) }}
-- No employee contribution above 402(g) plus the catch-up for their age, and no annual
-- additions (deferrals without catch-up, match, core) above 415(c): the lesser of the dollar
-- limit and 100% of the participant's compensation.
select
    snapshot.simulation_year,
    snapshot.replicate,
    snapshot.employee_id,
    snapshot.employee_contribution_amount,
    snapshot.deferral_limit_amount
from {{ ref('fct_workforce_snapshot') }} as snapshot
inner join {{ ref('int_irs_limits') }} as limits
    on limits.simulation_year = snapshot.simulation_year
    and limits.replicate = snapshot.replicate
where snapshot.employee_contribution_amount > snapshot.deferral_limit_amount
    or snapshot.deferral_limit_amount
        > limits.elective_deferral_limit + greatest(limits.catch_up_limit, coalesce(limits.super_catch_up_limit, 0))
    or snapshot.employee_contribution_amount - snapshot.catch_up_amount
        + snapshot.employer_match_amount + snapshot.employer_core_amount
        > least(limits.annual_additions_limit, snapshot.plan_compensation_amount)
