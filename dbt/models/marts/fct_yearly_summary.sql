-- One row per scenario-year and replicate: headcount flow, events, payroll and the plan's key metrics.
-- participation_rate = enrolled actives / eligible actives; avg_deferral_rate over enrolled
-- actives; employer cost = match + core, also as a share of payroll (total prorated pay); the
-- plan's balances at year end over every account (former employees' included), the year's
-- investment return and distributions. Averages and shares are exact, rounded once (to the
-- cent, or to six decimal places). Each total is counted from the replicates up, so that a
-- replicate with nothing to count (e.g. no events) still has its row, with zeros.
with

plan as (
    select replicate, active_headcount_start, target_headcount_end
    from {{ ref('int_workforce_plan') }}
    where simulation_year = {{ var('simulation_year') }}
),

events as (
    select
        replicates.replicate,
        count(*) filter (where events.event_type = 'hire') as hires,
        count(*) filter (where events.event_type = 'termination') as experienced_terminations,
        count(*) filter (where events.event_type = 'new_hire_termination') as new_hire_terminations,
        count(*) filter (where events.event_type = 'promotion') as promotions,
        count(*) filter (where events.event_type = 'raise') as raises,
        count(*) filter (where events.event_type = 'enrollment' and events.event_detail = 'auto') as auto_enrollments,
        count(*) filter (where events.event_type = 'enrollment' and events.event_detail = 'voluntary')
            as voluntary_enrollments,
        count(*) filter (where events.event_type = 'opt_out') as opt_outs,
        count(*) filter (where events.event_type = 'deferral_escalation') as escalations,
        count(*) filter (where events.event_type = 'deferral_change') as deferral_changes
    from {{ replicate_numbers() }} as replicates
    left join {{ ref('fct_yearly_events') }} as events
        on events.replicate = replicates.replicate
        and events.simulation_year = {{ var('simulation_year') }}
    group by replicates.replicate
),

snapshot as (
    select
        replicates.replicate,
        count(*) filter (where snapshot.employment_status = 'active') as active_headcount_end,
        sum(snapshot.prorated_pay_amount) as total_prorated_pay,
        sum({{ cents('snapshot.annual_pay_amount') }}) filter (where snapshot.employment_status = 'active')
            as active_pay_cents,
        count(*) filter (where snapshot.employment_status = 'active' and snapshot.is_eligible) as eligible_actives,
        count(*) filter (
            where snapshot.employment_status = 'active' and snapshot.is_eligible and snapshot.is_enrolled
        ) as enrolled_actives,
        count(*) filter (where snapshot.employment_status = 'active' and snapshot.is_enrolled) as enrolled_active_count,
        sum({{ millionths('snapshot.deferral_rate') }})
            filter (where snapshot.employment_status = 'active' and snapshot.is_enrolled)
            as enrolled_deferral_millionths,
        sum(snapshot.employee_contribution_amount) as employee_contributions,
        sum(snapshot.employer_match_amount) as employer_match,
        sum(snapshot.employer_core_amount) as employer_core,
        count(*) filter (where snapshot.is_at_402g_limit) as employees_at_402g_limit,
        sum(snapshot.forfeiture_amount) as forfeitures
    from {{ replicate_numbers() }} as replicates
    left join {{ ref('fct_workforce_snapshot') }} as snapshot
        on snapshot.replicate = replicates.replicate
        and snapshot.simulation_year = {{ var('simulation_year') }}
    group by replicates.replicate
),

accounts as (
    select
        replicates.replicate,
        sum(accounts.employee_balance + accounts.employer_balance) as plan_balance,
        sum(accounts.investment_return_amount) as investment_return,
        sum(accounts.distribution_amount) as distributions,
        count(*) filter (
            where accounts.employment_status <> 'active' and accounts.employee_balance + accounts.employer_balance > 0
        ) as former_participants
    from {{ replicate_numbers() }} as replicates
    left join {{ ref('int_account_balances') }} as accounts
        on accounts.replicate = replicates.replicate
        and accounts.simulation_year = {{ var('simulation_year') }}
    group by replicates.replicate
)

select
    {{ scenario_columns('plan.replicate') }},
    '{{ var('match_formula') }}' as match_formula,
    plan.active_headcount_start,
    snapshot.active_headcount_end,
    plan.target_headcount_end,
    events.hires,
    events.experienced_terminations,
    events.new_hire_terminations,
    events.promotions,
    events.raises,
    cast(snapshot.total_prorated_pay as decimal(18, 2)) as total_prorated_pay_amount,
    cast(
        {{ divide_rounded('snapshot.active_pay_cents', 'nullif(snapshot.active_headcount_end, 0) * 100', 2) }}
        as decimal(14, 2)
    ) as average_annual_pay_amount,
    snapshot.eligible_actives,
    snapshot.enrolled_actives,
    cast(
        coalesce({{ divide_rounded('snapshot.enrolled_actives', 'nullif(snapshot.eligible_actives, 0)', 6) }}, 0)
        as decimal(8, 6)
    ) as participation_rate,
    cast(
        coalesce(
            {{ divide_rounded(
                'snapshot.enrolled_deferral_millionths', 'nullif(snapshot.enrolled_active_count, 0) * 1000000', 6
            ) }},
            0
        ) as decimal(8, 6)
    ) as avg_deferral_rate,
    cast(snapshot.employee_contributions as decimal(18, 2)) as employee_contribution_amount,
    cast(snapshot.employer_match as decimal(18, 2)) as employer_match_amount,
    cast(snapshot.employer_core as decimal(18, 2)) as employer_core_amount,
    cast(snapshot.employer_match + snapshot.employer_core as decimal(18, 2)) as total_employer_cost_amount,
    cast(
        coalesce(
            {{ divide_rounded(
                'cast(' ~ cents('snapshot.employer_match + snapshot.employer_core') ~ ' as hugeint)',
                'nullif(' ~ cents('snapshot.total_prorated_pay') ~ ', 0)',
                6
            ) }},
            0
        ) as decimal(8, 6)
    ) as employer_cost_rate,
    snapshot.employees_at_402g_limit,
    events.auto_enrollments,
    events.voluntary_enrollments,
    events.opt_outs,
    events.escalations,
    events.deferral_changes,
    cast(snapshot.forfeitures as decimal(18, 2)) as forfeiture_amount,
    cast(accounts.plan_balance as decimal(18, 2)) as plan_balance_amount,
    cast(accounts.investment_return as decimal(18, 2)) as investment_return_amount,
    cast(accounts.distributions as decimal(18, 2)) as distribution_amount,
    accounts.former_participants
from plan
inner join events on events.replicate = plan.replicate
inner join snapshot on snapshot.replicate = plan.replicate
inner join accounts on accounts.replicate = plan.replicate
