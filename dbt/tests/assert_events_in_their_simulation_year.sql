{{ config(meta={'dagster': {'ref': {'name': 'fct_yearly_events'}}}) }}
-- Every event lies in its simulation year: a year's partition holds the events dated in that
-- year and no other (an auto-enrollment window across 31 December splits between two years).
select event_id, simulation_year, effective_date
from {{ ref('fct_yearly_events') }}
where year(effective_date) <> simulation_year
