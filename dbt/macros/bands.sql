{# Join condition placing an age (or tenure) into its band from the band seeds. #}
{% macro in_band(value, band_alias, kind) -%}
    {{ value }} >= {{ band_alias }}.min_{{ kind }} and {{ value }} < {{ band_alias }}.max_{{ kind }}
{%- endmacro %}

{#
  `relation`'s rows with the product of `base` (if given) and their multipliers from a
  (dimension, band, multiplier) seed, one factor per dimension named, as column `as`: the hazard
  weight of a leaver (age band x tenure band x level from termination_hazards), a promotion
  probability (base rate x the same bands from promotion_hazards), an opt-out probability
  (rate x age band x pay band). Each dimension is also the column holding the row's band; a
  level is matched as text ('1').
#}
{% macro with_band_multipliers(relation, seed, dimensions, as, base=none) -%}
    select
        {{ relation }}.*,
        {% if base is not none %}{{ base }} * {% endif -%}
        {% for dimension in dimensions -%}
            {{ dimension }}_multiplier.multiplier{{ ' * ' if not loop.last }}
        {%- endfor %} as {{ as }}
    from {{ relation }}
    {% for dimension in dimensions -%}
    inner join {{ ref(seed) }} as {{ dimension }}_multiplier
        on {{ dimension }}_multiplier.dimension = '{{ dimension }}'
        and {{ dimension }}_multiplier.band = cast({{ relation }}.{{ dimension }} as varchar)
    {% endfor %}
{%- endmacro %}
