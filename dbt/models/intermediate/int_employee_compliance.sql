-- Everyone employed in the year as the nondiscrimination tests see them (docs/dc_plan.md,
-- rules 11 to 13):
-- - highly compensated (IRC 414(q)(1)): a 5% owner (more than 5%; ownership does not change in
--   the simulation, so "this year or last" is now), or paid more than the look-back year's HCE
--   threshold in the look-back year (int_look_back_year; a hire of this year was not paid then),
--   and, when the scenario elects it, in that year's top-paid group;
-- - a key employee as of the top-heavy determination date (int_look_back_year);
-- - eligible for the ADP test when eligible to defer by their last day worked, for the ACP test
--   when eligible for the match (whether or not they defer or meet its allocation conditions);
-- - their ratios to the nearest 0.01% (Treas. Reg. 1.401(k)-2(a)(3)(ii), 1.401(m)-2(a)(3)(ii)):
--   deferrals without catch-up (IRC 414(v)(3)(B)) and the match, over the plan year's
--   compensation capped at 401(a)(17) (plan_compensation; 414(s), 401(a)(17)).
with

limits as (
    select replicate, prior_year_hce_threshold
    from {{ ref('int_irs_limits') }}
    where simulation_year = {{ var('simulation_year') }}
),

people as (
    select
        employment.replicate,
        employment.employee_id,
        employment.employment_status,
        employment.is_eligible as is_adp_eligible,
        employment.match_eligibility_date <= employment.last_day_worked as is_acp_eligible,
        look_back.look_back_compensation_amount,
        employment.ownership_rate > 0.05 as is_five_percent_owner,
        coalesce(look_back.in_top_paid_group, false) as in_top_paid_group,
        coalesce(
            look_back.look_back_compensation_amount > limits.prior_year_hce_threshold
            {%- if var('top_paid_group_election') %} and look_back.in_top_paid_group{% endif %},
            false
        ) as is_paid_above_threshold,
        coalesce(look_back.is_key_employee, false) as is_key_employee,
        contributions.plan_compensation as testing_compensation_amount,
        contributions.employee_contribution_amount - contributions.catch_up_amount as tested_deferral_amount,
        employer.employer_match_amount,
        employer.employer_core_amount
    from {{ ref('int_employment_year') }} as employment
    inner join {{ ref('int_employee_contributions') }} as contributions
        on contributions.employee_id = employment.employee_id
        and contributions.simulation_year = employment.simulation_year
        and contributions.replicate = employment.replicate
    inner join {{ ref('int_employer_contributions') }} as employer
        on employer.employee_id = employment.employee_id
        and employer.simulation_year = employment.simulation_year
        and employer.replicate = employment.replicate
    left join {{ ref('int_look_back_year') }} as look_back
        on look_back.employee_id = employment.employee_id
        and look_back.simulation_year = employment.simulation_year
        and look_back.replicate = employment.replicate
    inner join limits on limits.replicate = employment.replicate
    where employment.simulation_year = {{ var('simulation_year') }}
)

select
    {{ scenario_columns() }},
    employee_id,
    employment_status,
    look_back_compensation_amount,
    is_five_percent_owner,
    in_top_paid_group,
    is_five_percent_owner or is_paid_above_threshold as is_highly_compensated,
    case
        when is_five_percent_owner then 'five_percent_owner'
        when is_paid_above_threshold then 'look_back_compensation'
    end as hce_reason,
    is_key_employee,
    is_adp_eligible,
    is_acp_eligible,
    testing_compensation_amount,
    tested_deferral_amount,
    employer_match_amount,
    employer_core_amount,
    case when is_adp_eligible then cast(
        coalesce({{ divide_rounded(
            cents('tested_deferral_amount') ~ ' * 10000', 'nullif(' ~ cents('testing_compensation_amount') ~ ', 0)', 0
        ) }}, 0) * 0.0001 as decimal(8, 4)
    ) end as actual_deferral_rate,
    case when is_acp_eligible then cast(
        coalesce({{ divide_rounded(
            cents('employer_match_amount') ~ ' * 10000', 'nullif(' ~ cents('testing_compensation_amount') ~ ', 0)', 0
        ) }}, 0) * 0.0001 as decimal(8, 4)
    ) end as actual_contribution_rate
from people
