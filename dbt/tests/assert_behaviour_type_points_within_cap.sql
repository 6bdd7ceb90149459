{{ config(meta={'dagster': {'ref': {'name': 'int_customer_behaviour_by_type'}}}) }}
-- Each event type's capped points stay within [-cap, cap] of seed behaviour_points and
-- keep the sign of the type's points (a negative type never adds points).
select
    behaviour.customer_id,
    behaviour.event_type,
    behaviour.type_points,
    grid.points,
    grid.cap
from {{ ref('int_customer_behaviour_by_type') }} as behaviour
inner join {{ ref('behaviour_points') }} as grid on behaviour.event_type = grid.event_type
where
    abs(behaviour.type_points) > grid.cap + 1e-9
    or (grid.points >= 0 and behaviour.type_points < 0)
    or (grid.points < 0 and behaviour.type_points > 0)
