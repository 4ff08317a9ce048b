-- depends_on: {{ ref('stg_census') }}
-- The determination year of this year's HCE and top-heavy tests: everyone employed at some time
-- in the year before (the census year for the first simulated year, from the census; later, last
-- year's snapshot), with what IRC 414(q) and 416(i) look at (docs/dc_plan.md, rules 11 and 13):
-- - compensation in that year (415(c)(3): pay earned, deferrals included, not capped; in the
--   census, prior_year_compensation or pay x the days employed in the census year);
-- - the top-paid group (414(q)(3)): the top 20% by that compensation (ties by employee id), of a
--   number of employees that leaves out those under 21, with under six months of service or
--   normally under 17.5 hours a week at the year's end (414(q)(5)); they may still be in it;
-- - key employees for the top-heavy test (416(i)(1)(A)): an officer paid more than that year's
--   key-employee threshold (at most the 50 best-paid officers, or in a small company the greater
--   of 3 and 10% of the employees counted as above, rounded up), a 5% owner (more than 5%), or a
--   1% owner (more than 1%) paid more than $150,000 (a fixed amount, not indexed);
-- - the account balance on the last day of that year (the top-heavy determination date,
--   416(g)(4)(C)) plus what was distributed in that year (416(g)(3)).
{% set look_back_year = var('simulation_year') - 1 %}
{% set look_back_end = 'make_date(' ~ look_back_year ~ ', 12, 31)' %}
with

{% if var('simulation_year') == var('start_year') %}
worked as (
    select
        replicates.replicate,
        census.employee_id,
        census.birth_date,
        census.hire_date,
        census.scheduled_hours,
        coalesce(
            census.prior_year_compensation,
            cast({{ divide_rounded(
                cents('census.annual_pay') ~ ' * ' ~ days_between(
                    'greatest(census.hire_date, make_date(' ~ look_back_year ~ ', 1, 1))',
                    'least(coalesce(census.termination_date, ' ~ look_back_end ~ '), ' ~ look_back_end ~ ')'
                ),
                '(make_date(' ~ var('simulation_year') ~ ', 1, 1) - make_date(' ~ look_back_year ~ ', 1, 1)) * 100',
                2
            ) }} as decimal(14, 2))
        ) as compensation,
        census.ownership_rate,
        census.is_officer,
        census.employee_balance + census.employer_balance as top_heavy_balance
    from {{ ref('stg_census') }} as census
    cross join {{ replicate_numbers() }} as replicates
    where coalesce(census.termination_date, {{ look_back_end }}) >= make_date({{ look_back_year }}, 1, 1)
),
{% else %}
worked as (
    select
        replicate,
        employee_id,
        birth_date,
        hire_date,
        scheduled_hours,
        prorated_pay_amount as compensation,
        ownership_rate,
        is_officer,
        employee_balance_amount + employer_balance_amount + distribution_amount as top_heavy_balance
    from {{ prior_year('fct_workforce_snapshot') }}
    where simulation_year = {{ look_back_year }}
),
{% endif %}

limits as (
    select replicate, prior_year_key_employee_threshold
    from {{ ref('int_irs_limits') }}
    where simulation_year = {{ var('simulation_year') }}
),

ranked as (
    select
        worked.*,
        {{ whole_years('worked.birth_date', look_back_end) }} >= 21
            and worked.hire_date + to_months(6) <= {{ look_back_end }} + 1
            and worked.scheduled_hours >= 910 as is_counted,
        row_number() over (partition by worked.replicate order by worked.compensation desc, worked.employee_id asc)
            as pay_rank,
        row_number() over (
            partition by worked.replicate, worked.is_officer order by worked.compensation desc, worked.employee_id asc
        ) as officer_pay_rank
    from worked
),

sizes as (
    select
        replicate,
        -- 20% of the counted employees, rounded (a fifth of a whole number is never a half)
        (2 * count(*) filter (where is_counted) + 5) // 10 as top_paid_group_size,
        least(50, greatest(3, {{ ceil_div('count(*) filter (where is_counted)', 10) }})) as officer_limit
    from ranked
    group by replicate
)

select
    {{ scenario_columns('ranked.replicate') }},
    ranked.employee_id,
    cast(ranked.compensation as decimal(14, 2)) as look_back_compensation_amount,
    ranked.ownership_rate,
    ranked.is_officer,
    ranked.pay_rank <= sizes.top_paid_group_size as in_top_paid_group,
    (ranked.is_officer and ranked.officer_pay_rank <= sizes.officer_limit
        and ranked.compensation > limits.prior_year_key_employee_threshold)
        or ranked.ownership_rate > 0.05
        or (ranked.ownership_rate > 0.01 and ranked.compensation > 150000) as is_key_employee,
    cast(ranked.top_heavy_balance as decimal(14, 2)) as top_heavy_balance_amount
from ranked
inner join sizes on sizes.replicate = ranked.replicate
inner join limits on limits.replicate = ranked.replicate
