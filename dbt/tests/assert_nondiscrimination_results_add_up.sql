{{ config(meta={'dagster': {'ref': {'name': 'fct_compliance'}}}) }}
-- Each year's ADP and ACP results follow from the employees' ratios: the HCE and NHCE averages
-- are those of int_employee_compliance, the limit is the greater of 1.25 x the compared NHCE
-- average and the lesser of 2 x it and it + 2 points, the result is a pass exactly when the HCE
-- average is within the limit (or the design is exempt), and corrective refunds are made on a
-- fail only; the top-heavy ratio is the key employees' share of the balances, top-heavy above 60%.
with

{% for test, eligible, ratio in [
    ('adp', 'is_adp_eligible', 'actual_deferral_rate'),
    ('acp', 'is_acp_eligible', 'actual_contribution_rate'),
] %}
{{ test }}_averages as (
    select
        simulation_year,
        replicate,
        avg({{ ratio }}) filter (where is_highly_compensated) as hce_average,
        avg({{ ratio }}) filter (where not is_highly_compensated) as nhce_average
    from {{ ref('int_employee_compliance') }}
    where {{ eligible }}
    group by simulation_year, replicate
),

{{ test }}_problems as (
    select compliance.simulation_year, compliance.replicate, '{{ test }}' as test
    from {{ ref('fct_compliance') }} as compliance
    left join {{ test }}_averages as averages
        on averages.simulation_year = compliance.simulation_year
        and averages.replicate = compliance.replicate
    -- an average is to the nearest 0.01%: within half of it of the exact one
    where (compliance.{{ test }}_hce_average_rate is null) <> (averages.hce_average is null)
        or abs(compliance.{{ test }}_hce_average_rate - averages.hce_average) > 0.0000501
        or (compliance.{{ test }}_nhce_average_rate is null) <> (averages.nhce_average is null)
        or abs(compliance.{{ test }}_nhce_average_rate - averages.nhce_average) > 0.0000501
        or compliance.{{ test }}_limit_rate is distinct from greatest(
            1.25 * compliance.{{ test }}_compared_nhce_average_rate,
            least(
                2 * compliance.{{ test }}_compared_nhce_average_rate,
                compliance.{{ test }}_compared_nhce_average_rate + 0.02
            )
        )
        or (compliance.{{ test }}_result = 'fail') <> (
            coalesce(compliance.{{ test }}_hce_average_rate > compliance.{{ test }}_limit_rate, false)
            and compliance.{{ test }}_result <> 'exempt'
        )
        or (compliance.{{ test }}_corrective_refund_amount > 0) <> (compliance.{{ test }}_result = 'fail')
),
{% endfor %}

top_heavy_problems as (
    select simulation_year, replicate, 'top-heavy' as test
    from {{ ref('fct_compliance') }}
    where top_heavy_balance_amount > 0 and (
        abs(top_heavy_ratio_rate - key_employee_balance_amount / top_heavy_balance_amount) > 0.0000005
        or (top_heavy_result <> 'exempt'
            and (top_heavy_result = 'top-heavy') <> (key_employee_balance_amount > 0.6 * top_heavy_balance_amount))
    )
)

select * from adp_problems
union all
select * from acp_problems
union all
select * from top_heavy_problems
