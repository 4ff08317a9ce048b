-- The year's H new hires. Level follows the mix of the starting population, age follows
-- the new-hire age distribution, pay is drawn in the lower half of the level's band and
-- hire dates are spread over the year.
with

plan as (
    select replicate, hires
    from {{ ref('int_workforce_plan') }}
    where simulation_year = {{ var('simulation_year') }}
),

hire_numbers as (
    select replicate, unnest(generate_series(1, hires)) as hire_number
    from plan
    where hires > 0
),

new_employees as (
    select
        replicate,
        'H' || {{ var('simulation_year') }} || '-' || lpad(cast(hire_number as varchar), 6, '0') as employee_id
    from hire_numbers
),

level_mix as (
    select
        replicate,
        level,
        coalesce(
            sum(count(*)) over (partition by replicate order by level rows between unbounded preceding and 1 preceding),
            0
        ) / sum(count(*)) over (partition by replicate) as share_from,
        sum(count(*)) over (partition by replicate order by level) / sum(count(*)) over (partition by replicate)
            as share_to
    from {{ ref('int_workforce_start') }}
    where simulation_year = {{ var('simulation_year') }}
    group by replicate, level
),

age_mix as (
    select
        age,
        coalesce(sum(weight) over (order by age rows between unbounded preceding and 1 preceding), 0)
            / sum(weight) over () as share_from,
        sum(weight) over (order by age) / sum(weight) over () as share_to
    from {{ ref('new_hire_ages') }}
),

drawn as (
    select
        replicate,
        employee_id,
        {{ draw('hire_level') }} as level_draw,
        {{ draw('hire_age') }} as age_draw,
        {{ draw('hire_pay') }} as pay_draw,
        {{ draw('hire_date') }} as hire_date_draw,
        {{ draw('birth_day') }} as birth_day_draw
    from new_employees
),

placed as (
    select
        drawn.*,
        coalesce(level_mix.level, 1) as level,
        age_mix.age as hire_age,
        {{ year_start() }} + cast(floor(drawn.hire_date_draw * {{ days_in_year() }}) as integer) as hire_date
    from drawn
    left join level_mix
        on level_mix.replicate = drawn.replicate
        and drawn.level_draw >= level_mix.share_from and drawn.level_draw < level_mix.share_to
    inner join age_mix
        on drawn.age_draw >= age_mix.share_from and drawn.age_draw < age_mix.share_to
)

select
    {{ scenario_columns('placed.replicate') }},
    placed.employee_id,
    cast(placed.hire_date - to_years(placed.hire_age) as date) - cast(floor(placed.birth_day_draw * 365) as integer)
        as birth_date,
    placed.hire_date,
    placed.level,
    -- the draw as a decimal, so that the pay is exact decimal arithmetic rounded once to the cent
    cast(
        round(bands.pay_min + cast(placed.pay_draw as decimal(38, 12)) * (bands.pay_max - bands.pay_min) * 0.5, 2)
        as decimal(14, 2)
    ) as annual_pay,
    cast(0 as decimal(8, 6)) as deferral_rate,
    2080 as scheduled_hours
from placed
inner join {{ ref('level_pay_bands') }} as bands
    on bands.level = placed.level
