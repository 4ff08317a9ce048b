-- One row per scenario-year and replicate: the plan year's nondiscrimination tests (docs/dc_plan.md, rules 11
-- to 13). The HCEs (IRC 414(q)) and what the tests count for each employee come from
-- int_employee_compliance, the determination year's key employees and balances from
-- int_look_back_year.
-- - ADP (401(k)(3)) and ACP (401(m)(2)): macros/nondiscrimination.sql. Current-year method: the
--   NHCE averages of this year; prior-year method: of last year (this model's own previous row;
--   for the first simulated year the scenario's prior_year_nhce_*_rate). Exempt: a safe-harbor
--   (401(k)(12)(B)) or QACA (401(k)(13)(D)) match formula from the ADP test, and from the ACP
--   test too when it matches no deferrals above 6% of pay (401(m)(11)(B), (12)).
-- - Top-heavy (416): the key employees' share of the account balances on the determination date
--   (31 December of the year before); above 60% the plan is top-heavy for this year, and each
--   non-key participant employed on 31 December must receive employer contributions of at least
--   the lesser of 3% of compensation and the highest rate a key employee receives this year
--   (deferrals without catch-up included, 416(c)(2); the match and core count towards it): the
--   minimum is the top-up that takes them there, and its cost. A plan whose only employer money
--   is a safe-harbor or QACA match is exempt (416(g)(4)(H)).
{% set safe_harbor_match = var('match_formula_type') in ['safe_harbor_basic', 'qaca'] %}
with

people as (
    select *
    from {{ ref('int_employee_compliance') }}
    where simulation_year = {{ var('simulation_year') }}
),

match_tiers as (
    select cast(deferral_to as decimal(8, 6)) as deferral_to, cast(match_rate as decimal(8, 6)) as match_rate
    from {{ rows_table('match_tiers', ['band_minimum', 'deferral_from', 'deferral_to', 'match_rate']) }}
),

{% if var('testing_method') == 'prior_year' and var('simulation_year') != var('start_year') %}
-- materialized: read whole before this statement inserts into the same table (int_account_balances)
prior_year_averages as materialized (
    select
        replicate,
        cast(adp_nhce_average_rate * 10000 as bigint) as adp_units,
        cast(acp_nhce_average_rate * 10000 as bigint) as acp_units
    from {{ prior_year('fct_compliance') }}
    where simulation_year = {{ var('simulation_year') }} - 1
),
{% endif %}

{% for test, eligible, ratio, exempt, first_prior_year_average in [
    (
        'adp', 'is_adp_eligible', 'actual_deferral_rate', 'true' if safe_harbor_match else 'false',
        'prior_year_nhce_adp_rate'
    ),
    ('acp', 'is_acp_eligible', 'actual_contribution_rate',
        '(select max(deferral_to) <= 0.06 from match_tiers where match_rate > 0)' if safe_harbor_match else 'false',
        'prior_year_nhce_acp_rate'),
] %}
{% if var('testing_method') == 'current_year' %}
    {% set prior_nhce_units = none %}
{% elif var('simulation_year') == var('start_year') %}
    {% set prior_nhce_units = 'cast(round(' ~ rate(first_prior_year_average) ~ ' * 10000) as bigint)' %}
{% else %}
    {% set prior_nhce_units = '(select ' ~ test ~ '_units from prior_year_averages'
        ~ ' where prior_year_averages.replicate = '
        ~ test ~ '_averages.replicate)' %}
{% endif %}
{{ average_percentage_test(test, 'people', eligible, ratio, exempt, prior_nhce_units) }},
{% endfor %}

hces as (
    select
        replicates.replicate,
        count(*) filter (where people.is_highly_compensated) as highly_compensated_employees
    from {{ replicate_numbers() }} as replicates
    left join people on people.replicate = replicates.replicate
    group by replicates.replicate
),

determination as (
    select
        replicates.replicate,
        count(*) filter (where look_back.is_key_employee) as key_employees,
        coalesce(sum(look_back.top_heavy_balance_amount) filter (where look_back.is_key_employee), 0)
            as key_employee_balance,
        coalesce(sum(look_back.top_heavy_balance_amount), 0) as total_balance
    from {{ replicate_numbers() }} as replicates
    left join {{ ref('int_look_back_year') }} as look_back
        on look_back.replicate = replicates.replicate
        and look_back.simulation_year = {{ var('simulation_year') }}
    group by replicates.replicate
),

-- the highest rate, in millionths of compensation, at which a key employee receives contributions this year
key_employee_rates as (
    select
        replicates.replicate,
        coalesce(max({{ divide_rounded(
            cents('tested_deferral_amount + employer_match_amount + employer_core_amount') ~ ' * 1000000',
            'nullif(' ~ cents('testing_compensation_amount') ~ ', 0)',
            0
        ) }}), 0) as highest_millionths
    from {{ replicate_numbers() }} as replicates
    left join people on people.replicate = replicates.replicate and people.is_key_employee
    group by replicates.replicate
),

top_heavy as (
    select
        determination.*,
        {% if safe_harbor_match and not var('core_enabled') -%}
        'exempt'
        {%- else -%}
        case
            when determination.key_employee_balance * 10 > determination.total_balance * 6 then 'top-heavy'
            else 'not top-heavy'
        end
        {%- endif %} as result,
        cast(least(30000, key_employee_rates.highest_millionths) as bigint) as minimum_millionths
    from determination
    inner join key_employee_rates on key_employee_rates.replicate = determination.replicate
),

top_ups as (
    select
        people.replicate,
        greatest(
            0,
            {{ divide_rounded(
                'top_heavy.minimum_millionths * ' ~ cents('people.testing_compensation_amount'), '100000000', 2
            ) }}
                - people.employer_match_amount - people.employer_core_amount
        ) as top_up
    from people
    inner join top_heavy on top_heavy.replicate = people.replicate
    where top_heavy.result = 'top-heavy'
        and not people.is_key_employee
        and people.employment_status = 'active'
        and people.is_adp_eligible
),

minimum_contributions as (
    select
        replicates.replicate,
        count(*) filter (where top_ups.top_up > 0) as participants,
        coalesce(sum(top_ups.top_up), 0) as amount
    from {{ replicate_numbers() }} as replicates
    left join top_ups on top_ups.replicate = replicates.replicate
    group by replicates.replicate
)

select
    {{ scenario_columns('adp_result.replicate') }},
    hces.highly_compensated_employees,
    '{{ var('testing_method') }}' as testing_method,
    adp_result.* exclude (replicate),
    acp_result.* exclude (replicate),
    top_heavy.key_employees,
    make_date({{ var('simulation_year') }} - 1, 12, 31) as top_heavy_determination_date,
    cast(top_heavy.key_employee_balance as decimal(18, 2)) as key_employee_balance_amount,
    cast(top_heavy.total_balance as decimal(18, 2)) as top_heavy_balance_amount,
    cast(coalesce({{ divide_rounded(
        'cast(' ~ cents('top_heavy.key_employee_balance') ~ ' as hugeint)',
        'nullif(' ~ cents('top_heavy.total_balance') ~ ', 0)',
        6
    ) }}, 0) as decimal(8, 6)) as top_heavy_ratio_rate,
    top_heavy.result as top_heavy_result,
    cast(top_heavy.minimum_millionths * 0.000001 as decimal(8, 6)) as top_heavy_minimum_rate,
    minimum_contributions.participants as top_heavy_minimum_participants,
    cast(minimum_contributions.amount as decimal(18, 2)) as top_heavy_minimum_amount
from adp_result
inner join acp_result on acp_result.replicate = adp_result.replicate
inner join hces on hces.replicate = adp_result.replicate
inner join top_heavy on top_heavy.replicate = adp_result.replicate
inner join minimum_contributions on minimum_contributions.replicate = adp_result.replicate
