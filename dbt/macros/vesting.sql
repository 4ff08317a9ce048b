{#
  Vested share of employer money after whole years of vesting service, per the scenario's
  schedule: immediate; cliff N (all at N years); graded N (evenly from year 2 to year N,
  so graded 6 is the IRS 20%-a-year schedule, IRC 411(a)(2)(B)); qaca (all at 2 years, IRC
  401(k)(13)(D)(iii)). A graded share is rounded half up to four decimal places (1/3 is 0.3333).
#}
{% macro vested_share(service_years) -%}
    {%- set schedule = var('vesting_schedule') -%}
    {%- set years = var('vesting_years') -%}
    {%- if schedule == 'immediate' -%}
        cast(1 as decimal(6, 4))
    {%- elif schedule == 'cliff' -%}
        cast(case when {{ service_years }} >= {{ years }} then 1 else 0 end as decimal(6, 4))
    {%- elif schedule == 'qaca' -%}
        cast(case when {{ service_years }} >= 2 then 1 else 0 end as decimal(6, 4))
    {%- else -%}
        {%- set steps = [years - 1, 1] | max -%}
        cast({{ divide_rounded('least(greatest(' ~ service_years ~ ' - 1, 0), ' ~ steps ~ ')', steps, 4) }} as decimal(6, 4))
    {%- endif -%}
{%- endmacro %}
