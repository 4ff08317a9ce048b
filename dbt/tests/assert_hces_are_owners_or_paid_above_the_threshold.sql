{{ config(meta={'dagster': {'ref': {'name': 'int_employee_compliance'}}}) }}
-- IRC 414(q)(1): an employee is highly compensated exactly when they are a 5% owner or were paid
-- more than the look-back year's threshold in the look-back year (and, when elected, were in
-- its top-paid group); a key employee was employed in the determination year.
select
    compliance.simulation_year,
    compliance.replicate,
    compliance.employee_id,
    compliance.is_highly_compensated,
    compliance.hce_reason,
    compliance.look_back_compensation_amount,
    limits.prior_year_hce_threshold
from {{ ref('int_employee_compliance') }} as compliance
inner join {{ ref('int_irs_limits') }} as limits
    on limits.simulation_year = compliance.simulation_year
    and limits.replicate = compliance.replicate
left join {{ ref('int_look_back_year') }} as look_back
    on look_back.simulation_year = compliance.simulation_year
    and look_back.employee_id = compliance.employee_id
    and look_back.replicate = compliance.replicate
where compliance.is_highly_compensated is distinct from (
        compliance.is_five_percent_owner
        or coalesce(
            compliance.look_back_compensation_amount > limits.prior_year_hce_threshold
            {%- if var('top_paid_group_election') %} and compliance.in_top_paid_group{% endif %},
            false
        )
    )
    or (compliance.is_key_employee and look_back.employee_id is null)
