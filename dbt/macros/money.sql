{#
  Exact money: the one rounding rule (docs/dc_plan.md, "Money and rounding").

  Money is a DECIMAL with two decimal places (whole cents); rates that feed money are DECIMALs
  too (six decimal places as given by the scenario or a seed, more where a rate is derived).
  DuckDB multiplies and adds DECIMALs exactly and sums them exactly (as 128-bit integers), so no
  total depends on the order in which parallel threads add it up. It divides them in DOUBLE,
  though, so every quotient that feeds money or a rate is computed here, on integers (amounts
  in cents, rates in millionths, days as they are), and rounded once, half up.
  Integers are BIGINT, whose arithmetic is about 20 times faster than HUGEINT's; a product that
  may pass 9.2e18 casts a factor to HUGEINT. DuckDB raises an error on any overflow, never loses
  digits silently (a product of two DECIMALs of at most 18 digits also has at most 18 digits, so
  a factor that may need more is cast to DECIMAL(38, s) first).
#}

{# An amount of money in whole cents, as an integer (exact: money has two decimal places). #}
{% macro cents(amount) -%}
    cast(({{ amount }}) * 100 as bigint)
{%- endmacro %}

{# A rate in millionths, as an integer (exact: scenario, seed and deferral rates have six decimal places). #}
{% macro millionths(rate) -%}
    cast(({{ rate }}) * 1000000 as bigint)
{%- endmacro %}

{#
  numerator / denominator rounded half up to `scale` decimal places, as an exact
  DECIMAL(38, scale). Both are integer expressions, the numerator >= 0 and the denominator > 0
  (the money and rates of the simulation are never negative); integer arithmetic throughout, in
  the numerator's type.
#}
{% macro divide_rounded(numerator, denominator, scale) -%}
    (cast(
        (2 * ({{ numerator }}) * {{ 10 ** scale }} + ({{ denominator }})) // (2 * ({{ denominator }}))
        as decimal(38, 0)
    ){% if scale > 0 %} * {{ '0.' ~ '0' * (scale - 1) ~ '1' }}{% endif %})
{%- endmacro %}

{#
  Pay earned between two dates (inclusive) by someone paid start_pay a year until change_date
  and final_pay from it, in cent-days (a yearly rate in cents times days worked at it): the
  building block of prorated pay and contributions. Divided by days_in_year() x 100 it is
  dollars; it stays an integer until the one rounding of the amount it makes.
#}
{% macro cent_days_earned(start_date, end_date, start_pay='start_pay', final_pay='final_pay', change_date='pay_change_date') -%}
    (
        {{ cents(start_pay) }} * {{ days_between(start_date, 'least(' ~ end_date ~ ', ' ~ change_date ~ ' - 1)') }}
        + {{ cents(final_pay) }} * {{ days_between('greatest(' ~ start_date ~ ', ' ~ change_date ~ ')', end_date) }}
    )
{%- endmacro %}

{#
  Pay earned between two dates (inclusive) at a deferral rate that changes once, rate_before
  until rate_change_date and rate_after from it, in millionth-cent-days (the rate in millionths
  times cent-days): a deferral before its one rounding.
#}
{% macro rate_cent_days_earned(start_date, end_date, rate_before='rate_before_escalation', rate_after='deferral_rate', rate_change_date='rate_change_date') -%}
    (
        {{ millionths(rate_before) }} * {{ cent_days_earned(start_date, 'least(' ~ end_date ~ ', ' ~ rate_change_date ~ ' - 1)') }}
        + {{ millionths(rate_after) }} * {{ cent_days_earned('greatest(' ~ start_date ~ ', ' ~ rate_change_date ~ ')', end_date) }}
    )
{%- endmacro %}

{#
  divide_rounded for a numerator of either sign (an investment return may be a loss): the
  quotient of its size, rounded half up, with its sign, i.e. a half cent away from zero.
#}
{% macro divide_rounded_signed(numerator, denominator, scale) -%}
    (sign({{ numerator }}) * {{ divide_rounded('abs(' ~ numerator ~ ')', denominator, scale) }})
{%- endmacro %}
