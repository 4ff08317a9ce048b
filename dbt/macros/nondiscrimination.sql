{#
  One average-percentage test, ADP (IRC 401(k)(3)) or ACP (401(m)(2)), as CTEs named
  <test>_...; the last, <test>_result, is one row per replicate of <test>_ columns and `replicate`
  (docs/dc_plan.md, rule 12). Every step is per replicate, and starts from the scenario's
  replicates, so that a replicate nobody is eligible in still has its row.

  `people` has one row per employee and replicate of the year with is_highly_compensated,
  testing_compensation_amount, the test's eligibility (`eligible`, a boolean column) and ratio
  (`ratio`, to the nearest 0.01%). Ratios are counted in ten-thousandths and limits in
  millionths, so that every step is integer arithmetic, rounded once (macros/money.sql).
  - The averages of the eligible HCEs' and NHCEs' ratios, to the nearest 0.01%.
  - The limit, from the NHCE average of this year (current-year method) or of last year
    (prior-year method; `prior_nhce_units`): the greater of 1.25 x it and the lesser of 2 x it
    and it + 2 points (401(k)(3)(A)(ii), 401(m)(2)(A)). The highest HCE average that passes is
    the limit rounded down to 0.01%; the margin is the limit less the HCE average.
  - The result: `exempt` for a design the law exempts (`is_exempt`, an SQL condition), `pass`
    when the HCE average is at most the limit (or there are no HCEs or NHCEs to compare),
    else `fail`.
  - On a fail, the corrective refunds by leveling (Treas. Reg. 1.401(k)-2(b)(2)(ii),
    1.401(m)-2(b)(2)(ii)): the highest HCE ratios are brought down to one level L, so that the HCE
    average equals the highest that passes; each of those HCEs' excess is (ratio - L) x
    compensation, rounded to the cent. With the ratios sorted R1 >= R2 >= ... and S the sum they
    must come to, the k ratios brought down are those with i x Ri + (Ri+1 + ... ) > S, and
    L = (S - (Rk+1 + ...)) / k.
#}
{% macro average_percentage_test(test, people, eligible, ratio, is_exempt, prior_nhce_units=none) %}
{{ test }}_tested as (
    select
        replicate,
        employee_id,
        is_highly_compensated,
        cast({{ ratio }} * 10000 as bigint) as units,
        {{ cents('testing_compensation_amount') }} as compensation_cents
    from {{ people }}
    where {{ eligible }}
),

{{ test }}_averages as (
    select
        replicates.replicate,
        count(*) filter (where is_highly_compensated) as hces,
        count(*) filter (where not is_highly_compensated) as nhces,
        cast({{ divide_rounded(
            'sum(units) filter (where is_highly_compensated)', 'nullif(count(*) filter (where is_highly_compensated), 0)', 0
        ) }} as bigint) as hce_units,
        cast({{ divide_rounded(
            'sum(units) filter (where not is_highly_compensated)',
            'nullif(count(*) filter (where not is_highly_compensated), 0)',
            0
        ) }} as bigint) as nhce_units
    from {{ replicate_numbers() }} as replicates
    left join {{ test }}_tested as tested on tested.replicate = replicates.replicate
    group by replicates.replicate
),

{{ test }}_compared as (
    select
        {{ test }}_averages.*,
        {{ test ~ '_averages.nhce_units' if prior_nhce_units is none else prior_nhce_units }} as nhce_used_units
    from {{ test }}_averages
),

{{ test }}_outcome as (
    select
        *,
        greatest(125 * nhce_used_units, least(200 * nhce_used_units, 100 * nhce_used_units + 20000)) as limit_millionths,
        case
            when {{ is_exempt }} then 'exempt'
            when hces = 0 or nhce_used_units is null then 'pass'
            when 100 * hce_units
                <= greatest(125 * nhce_used_units, least(200 * nhce_used_units, 100 * nhce_used_units + 20000))
                then 'pass'
            else 'fail'
        end as result
    from {{ test }}_compared
),

{{ test }}_ranked as (
    select
        replicate,
        units,
        compensation_cents,
        row_number() over (partition by replicate order by units desc, employee_id) as position,
        coalesce(
            sum(units) over (
                partition by replicate order by units desc, employee_id rows between 1 following and unbounded following
            ),
            0
        ) as units_below
    from {{ test }}_tested
    where is_highly_compensated
),

-- the sum the HCEs' ratios come to at the highest passing average
{{ test }}_target as (
    select replicate, hces * (limit_millionths // 100) as target_units
    from {{ test }}_outcome
    where result = 'fail'
),

{{ test }}_level as (
    select
        {{ test }}_ranked.replicate,
        max({{ test }}_ranked.position) as reduced,
        arg_max({{ test }}_ranked.units_below, {{ test }}_ranked.position) as units_kept,
        any_value({{ test }}_target.target_units) as target_units
    from {{ test }}_ranked
    inner join {{ test }}_target on {{ test }}_target.replicate = {{ test }}_ranked.replicate
    where {{ test }}_ranked.position * {{ test }}_ranked.units + {{ test }}_ranked.units_below > {{ test }}_target.target_units
    group by {{ test }}_ranked.replicate
),

{{ test }}_correction as (
    select
        ranked.replicate,
        sum({{ divide_rounded(
            '(level.reduced * ranked.units - level.target_units + level.units_kept) * cast(ranked.compensation_cents as hugeint)',
            'level.reduced * 1000000',
            2
        ) }}) as refund_amount,
        any_value({{ divide_rounded('(level.target_units - level.units_kept) * 100', 'level.reduced', 0) }}) as level_millionths
    from {{ test }}_ranked as ranked
    inner join {{ test }}_level as level
        on level.replicate = ranked.replicate
        and ranked.position <= level.reduced
    group by ranked.replicate
),

{{ test }}_result as (
    select
        outcome.replicate,
        outcome.hces as {{ test }}_eligible_hces,
        outcome.nhces as {{ test }}_eligible_nhces,
        cast(outcome.hce_units * 0.0001 as decimal(8, 4)) as {{ test }}_hce_average_rate,
        cast(outcome.nhce_units * 0.0001 as decimal(8, 4)) as {{ test }}_nhce_average_rate,
        cast(outcome.nhce_used_units * 0.0001 as decimal(8, 4)) as {{ test }}_compared_nhce_average_rate,
        cast(outcome.limit_millionths * 0.000001 as decimal(10, 6)) as {{ test }}_limit_rate,
        cast(outcome.limit_millionths // 100 * 0.0001 as decimal(8, 4)) as {{ test }}_max_passing_hce_average_rate,
        cast((outcome.limit_millionths - 100 * outcome.hce_units) * 0.000001 as decimal(10, 6)) as {{ test }}_margin_rate,
        outcome.result as {{ test }}_result,
        cast(correction.level_millionths * 0.000001 as decimal(10, 6)) as {{ test }}_leveled_hce_rate,
        cast(coalesce(correction.refund_amount, 0) as decimal(14, 2)) as {{ test }}_corrective_refund_amount
    from {{ test }}_outcome as outcome
    left join {{ test }}_correction as correction on correction.replicate = outcome.replicate
)
{%- endmacro %}
