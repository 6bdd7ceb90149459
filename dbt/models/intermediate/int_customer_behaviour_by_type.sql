-- Behavioural points per customer and event type over the lookback window: each event
-- is worth its grid points halved every half_life_days of age; a type's total is capped
-- in magnitude by its cap. Anonymous events (no resolvable customer) are not scored.
with events as (
    select * from {{ ref('stg_interactions') }}
    where
        event_date < {{ scoring_date() }}
        and event_date >= {{ window_start(var('behaviour_lookback_days')) }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

grid as (
    select * from {{ ref('behaviour_points') }}
),

decayed as (
    select
        identities.customer_id,
        events.event_type,
        grid.points * pow(
            0.5, {{ dbt.datediff('events.event_date', scoring_date(), 'day') }} / grid.half_life_days  -- noqa: LT05
        ) as decayed_points
    from events
    inner join identities on events.customer_ref_key = identities.customer_ref_key
    inner join grid on events.event_type = grid.event_type
),

per_type as (
    select
        customer_id,
        event_type,
        count(*) as events,
        sum(decayed_points) as decayed_points
    from decayed
    group by customer_id, event_type
),

final as (
    select
        per_type.customer_id,
        per_type.event_type,
        per_type.events,
        per_type.decayed_points,
        case
            when grid.points >= 0 then least(grid.cap, per_type.decayed_points)
            else greatest(-grid.cap, per_type.decayed_points)
        end as type_points,
        grid.reason_label
    from per_type
    inner join grid on per_type.event_type = grid.event_type
)

select * from final
