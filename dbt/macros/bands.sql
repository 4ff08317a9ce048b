{# Join condition placing an age (or tenure) into its band from the band seeds. #}
{% macro in_band(value, band_alias, kind) -%}
    {{ value }} >= {{ band_alias }}.min_{{ kind }} and {{ value }} < {{ band_alias }}.max_{{ kind }}
{%- endmacro %}
