{{ config(meta={'dagster': {'ref': {'name': 'int_workforce_start'}}}) }}
-- Every active employee of the census starts the first simulated year: nobody is dropped
-- silently (e.g. by an age or tenure outside the band tables), whatever the census holds, in any replicate.
select replicates.replicate, census.employee_id
from {{ ref('stg_census') }} as census
cross join {{ replicate_numbers() }} as replicates
where census.active
    and not exists (
        select 1
        from {{ ref('int_workforce_start') }} as first_year
        where first_year.simulation_year = {{ var('start_year') }}
            and first_year.employee_id = census.employee_id
            and first_year.replicate = replicates.replicate
    )
