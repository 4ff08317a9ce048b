{#
  The year's investment return on an account, credited on 31 December (docs/dc_plan.md, rule 10):
  the balance at the start of the year earns the scenario's rate for the whole year, the year's
  deferrals (made through the year, on average at its middle) half of it, and employer money,
  allocated at year end, none. Exact, rounded once to the cent (a loss rounds like a gain). In
  HUGEINT: twice a balance in cents times a rate in millionths may pass BIGINT's range.
#}
{% macro investment_return(balance_at_start, deferrals='0') -%}
    {%- if var('investment_return_rate') == 0 -%}
        cast(0 as decimal(14, 2))
    {%- else -%}
        cast({{ divide_rounded_signed(
            '(2 * cast(' ~ cents(balance_at_start) ~ ' as hugeint) + ' ~ cents(deferrals) ~ ') * '
                ~ millionths(rate('investment_return_rate')),
            '200000000',
            2
        ) }} as decimal(14, 2))
    {%- endif -%}
{%- endmacro %}

{#
  The vesting service date of a census employee: the hire date, moved by the whole years the
  census's vesting service differs from the whole years since hire (none when the census leaves
  it out). Vesting service on any later day is the whole years from this date.
#}
{% macro vesting_service_date(census) -%}
    case
        when {{ census }}.vesting_service_years is null then {{ census }}.hire_date
        else cast(
            {{ census }}.hire_date
                + to_years({{ whole_years(census ~ '.hire_date', census_date()) }} - {{ census }}.vesting_service_years)
            as date
        )
    end
{%- endmacro %}
