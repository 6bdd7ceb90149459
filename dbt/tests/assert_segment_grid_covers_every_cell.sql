-- Seed rfm_segment_grid names exactly one segment for each of the 25 (R, F) cells of
-- 1..5 x 1..5. Returns missing cells, duplicated cells and cells outside the grid.
with cells as (
    select
        r.r_score,
        f.f_score
    from range(1, 6) as r (r_score)
    cross join range(1, 6) as f (f_score)
),

grid as (
    select
        r_score,
        f_score,
        count(*) as grid_rows,
        {{ dbt.listagg('segment', "', '", 'order by segment') }} as segments
    from {{ ref('rfm_segment_grid') }}
    group by r_score, f_score
)

select
    coalesce(cells.r_score, grid.r_score) as r_score,
    coalesce(cells.f_score, grid.f_score) as f_score,
    grid.segments,
    case
        when grid.grid_rows is null then 'missing cell'
        when cells.r_score is null then 'cell outside 1..5 x 1..5'
        else 'duplicated cell (' || grid.grid_rows || ' rows)'
    end as problem
from cells
full outer join grid on cells.r_score = grid.r_score and cells.f_score = grid.f_score
where
    grid.grid_rows is null
    or cells.r_score is null
    or grid.grid_rows > 1
