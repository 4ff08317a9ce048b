-- Merit plus COLA on the review date for starting actives who stay the whole year.
-- Merit by level (seed merit_by_level) is scaled so that its payroll-weighted average
-- equals the scenario's merit budget; COLA is added on top. The new pay is exact and rounded
-- once to the cent (macros/money.sql). A promotion on the same day
-- comes first, so the raise applies to the promoted pay and level.
with

stayers as (
    {{ stayers() }}
),

promoted as (
    select
        stayers.replicate,
        stayers.employee_id,
        coalesce(promotions.level_after, stayers.level) as level,
        coalesce(promotions.pay_after, stayers.annual_pay) as pay_before
    from stayers
    left join {{ ref('int_promotions') }} as promotions
        on promotions.employee_id = stayers.employee_id
        and promotions.simulation_year = stayers.simulation_year
        and promotions.replicate = stayers.replicate
),

with_merit as (
    select promoted.*, merit.merit_rate as level_merit_rate
    from promoted
    inner join {{ ref('merit_by_level') }} as merit
        on merit.level = promoted.level
),

-- payroll and merit-weighted payroll in exact integers: cents, and cents x millionths
budget as (
    select
        replicate,
        sum({{ cents('pay_before') }}) as payroll_cents,
        sum({{ cents('pay_before') }} * {{ millionths('level_merit_rate') }}) as merit_weighted_payroll
    from with_merit
    group by replicate
),

-- merit rate = level rate x budget / (payroll-weighted average level rate)
--            = level rate x budget x payroll / merit-weighted payroll
--            = merit_numerator / (merit_weighted_payroll x 1,000,000) in these integers;
-- the new pay, pay x (1 + COLA + merit rate), is one fraction of integers rounded once to the
-- cent; merit_rate itself is shown to 10 decimal places
raised as (
    select
        with_merit.replicate,
        with_merit.employee_id,
        with_merit.level,
        with_merit.pay_before,
        -- HUGEINT: payroll x two rates passes BIGINT's range
        cast({{ millionths('with_merit.level_merit_rate') }} as hugeint) * {{ millionths(rate('merit_budget')) }}
            * budget.payroll_cents as merit_numerator,
        -- at least 1, so that a payroll without merit rates gives a zero merit rate, not a division by zero
        greatest(budget.merit_weighted_payroll, 1) as merit_weighted_payroll,
        {{ rate('cola_rate') }} as cola_rate
    from with_merit
    inner join budget on budget.replicate = with_merit.replicate
)

select
    {{ scenario_columns() }},
    employee_id,
    level,
    pay_before,
    cast({{ divide_rounded('merit_numerator', 'merit_weighted_payroll * 1000000', 10) }} as decimal(12, 10))
        as merit_rate,
    cola_rate,
    cast(
        {{ divide_rounded(
            cents('pay_before')
            ~ ' * ((1000000 + ' ~ millionths('cola_rate') ~ ') * merit_weighted_payroll + merit_numerator)',
            'merit_weighted_payroll * 1000000 * 100',
            2
        ) }} as decimal(14, 2)
    ) as pay_after,
    {{ review_date() }} as effective_date
from raised
where merit_numerator > 0 or cola_rate > 0
