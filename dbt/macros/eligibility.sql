{#
  The first day on which an employee may receive one source of money (their deferrals, the
  match or the core contribution), from that source's settings: the later of the end of the
  waiting period (hire date + days) and the day they reach the minimum age, moved to the next
  entry date (IRC 410(a)(1) and (4)). Entry dates: immediate (that day); monthly, quarterly or
  semi_annual (the first day of the next month, calendar quarter or half-year, unless that day
  already is one).
#}
{% macro eligibility_date(waiting_period_days, minimum_age, entry_dates, hire_date='hire_date', birth_date='birth_date') -%}
    {%- set requirements_met -%}
        greatest({{ hire_date }} + {{ waiting_period_days }}, cast({{ birth_date }} + to_years({{ minimum_age }}) as date))
    {%- endset -%}
    {%- set months = {'immediate': 0, 'monthly': 1, 'quarterly': 3, 'semi_annual': 6}[entry_dates] -%}
    {%- if months == 0 -%}
        {{ requirements_met }}
    {%- else -%}
        {%- set period_start -%}
            make_date(year({{ requirements_met }}), (month({{ requirements_met }}) - 1) // {{ months }} * {{ months }} + 1, 1)
        {%- endset -%}
        case
            when {{ requirements_met }} = {{ period_start }} then {{ requirements_met }}
            else cast({{ period_start }} + to_months({{ months }}) as date)
        end
    {%- endif -%}
{%- endmacro %}
