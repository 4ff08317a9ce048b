{#
  Deterministic uniform draw in (0, 1) for one employee, year and kind of event. The year is
  the simulation year unless a decision belongs to another (an auto-enrollment window that
  crosses the year end is decided by the draws of the year it closes in).

  The draw is a pure function of (random_seed, replicate, key, simulation_year, kind): the same
  seed gives the same numbers on any machine, and two scenarios with the same seed share
  them replicate by replicate ("common random numbers"), so a difference between scenarios is
  policy, not noise. Replicate r of an ensemble (docs/ensembles.md) draws from the stream of
  (random_seed, r); replicate 0's is the stream a single run has always used: concat_ws skips the
  null that nullif makes of replicate 0, so its md5 input is unchanged. `replicate` is the column
  holding the row's replicate, qualified like `key`.
  md5 is used rather than DuckDB's hash() because md5 is fixed by its specification.
  The 64 bits used are those DuckDB's md5_number_upper() returns, i.e. the low 64 bits of
  md5_number(); masking md5_number() gives the same numbers about four times faster
  (1.1 against 0.3 microseconds a draw, and a 100,000-employee year makes a million draws).
#}
{% macro draw(kind, key='employee_id', year=none, replicate='replicate') -%}
    {%- set year = var('simulation_year') if year is none else year -%}
    (((md5_number(concat_ws('|', {{ var('random_seed') }}, nullif({{ replicate }}, 0), {{ key }}, {{ year }}, '{{ kind }}'))
        & 18446744073709551615)::ubigint::double + 0.5) / 18446744073709551616.0)
{%- endmacro %}
