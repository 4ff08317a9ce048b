{% macro simulation_year() -%} {{ var('simulation_year') }} {%- endmacro %}

{% macro year_start() -%} make_date({{ var('simulation_year') }}, 1, 1) {%- endmacro %}

{% macro year_end() -%} make_date({{ var('simulation_year') }}, 12, 31) {%- endmacro %}

{% macro days_in_year() -%} ({{ year_end() }} - {{ year_start() }} + 1) {%- endmacro %}

{# The date on which promotions and merit raises take effect. #}
{% macro review_date() -%}
    make_date({{ var('simulation_year') }}, {{ var('review_month') }}, {{ var('review_day') }})
{%- endmacro %}

{# Whole years between two dates (an age or a length of service). #}
{% macro whole_years(from_date, to_date) -%}
    date_part('year', age({{ to_date }}, {{ from_date }}))::integer
{%- endmacro %}

{# Days from start to end inclusive, zero when the interval is empty. #}
{% macro days_between(start_date, end_date) -%}
    greatest(0, ({{ end_date }}) - ({{ start_date }}) + 1)
{%- endmacro %}

{# Integer ceiling of a / b for non-negative integers, exact (no floating point). #}
{% macro ceil_div(a, b) -%}
    ((({{ a }}) + ({{ b }}) - 1) // ({{ b }}))
{%- endmacro %}

{# A rate as an exact decimal, so that the growth algebra rounds like a hand calculation. #}
{% macro rate(name) -%} cast({{ var(name) }} as decimal(12, 6)) {%- endmacro %}

{# A date var (ISO text or none) as a SQL date literal or null. #}
{% macro date_var(name) -%}
    {%- if var(name) is none -%} cast(null as date) {%- else -%} date '{{ var(name) }}' {%- endif -%}
{%- endmacro %}

{# A list-of-mappings var as an inline table, e.g. the match formula's tiers. #}
{% macro rows_table(name, columns) -%}
    (values
    {%- for row in var(name) %}
        ({% for column in columns %}{{ row[column] }}{% if not loop.last %}, {% endif %}{% endfor %}){% if not loop.last %},{% endif %}
    {%- endfor %}
    ) as {{ name }}({{ columns | join(', ') }})
{%- endmacro %}

{# The census date: the last day before the first simulated year (planwise_assets ScenarioConfig.census_date). #}
{% macro census_date() -%} make_date({{ var('start_year') }} - 1, 12, 31) {%- endmacro %}
