-- Features of the purchase-propensity model (the Python asset predictions/
-- purchase_propensity reads it), one row per buyer and snapshot: `train` as of
-- scoring_date - var propensity_horizon_days, with the outcome observed since (label = at
-- least one counted order from the snapshot up to the scoring date, label_orders = how
-- many), and `score` as of the scoring date (no label). Only facts before each snapshot
-- date are features: orders (recency, frequency and monetary over the last 365 days,
-- orders, tenure, average order value), first channel, campaign contacts and responses
-- over the last 365 days and interactions over the last var behaviour_lookback_days.
with orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

journeys as (
    select * from {{ ref('int_customer_channel_journeys') }}
),

contacts as (
    select * from {{ ref('int_campaign_contacts') }}
    where not is_control
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

interactions as (
    select * from {{ ref('stg_interactions') }}
),

snapshots as (
    select
        'train' as snapshot,
        cast({{ dbt.dateadd('day', -var('propensity_horizon_days'), scoring_date()) }} as date)
            as snapshot_date
    union all
    select
        'score' as snapshot,
        {{ scoring_date() }} as snapshot_date
),

windows as (
    select
        snapshot,
        snapshot_date,
        cast({{ dbt.dateadd('day', -365, 'snapshot_date') }} as date) as year_start_date,
        cast({{ dbt.dateadd('day', -var('behaviour_lookback_days'), 'snapshot_date') }} as date)
            as events_start_date
    from snapshots
),

history as (
    select
        windows.snapshot,
        windows.snapshot_date,
        orders.customer_id,
        {{ dbt.datediff('max(orders.order_date)', 'windows.snapshot_date', 'day') }}
            as recency_days,
        sum(case when orders.order_date >= windows.year_start_date then 1 else 0 end)
            as frequency,
        coalesce(
            sum(case when orders.order_date >= windows.year_start_date then orders.net_amount end),
            0
        ) as monetary,
        count(*) as orders_total,
        {{ dbt.datediff('min(orders.order_date)', 'windows.snapshot_date', 'day') }}
            as tenure_days,
        sum(orders.net_amount) / count(*) as avg_order_value
    from windows
    inner join orders on windows.snapshot_date > orders.order_date
    group by windows.snapshot, windows.snapshot_date, orders.customer_id
),

campaign_history as (
    select
        windows.snapshot,
        contacts.customer_id,
        count(*) as campaign_contacts,
        sum(case when contacts.has_responded then 1 else 0 end) as campaign_responses
    from windows
    inner join contacts
        on
            windows.snapshot_date > contacts.contact_date
            and windows.year_start_date <= contacts.contact_date
    group by windows.snapshot, contacts.customer_id
),

event_history as (
    select
        windows.snapshot,
        identities.customer_id,
        count(*) as events_recent
    from windows
    inner join interactions
        on
            windows.snapshot_date > interactions.event_date
            and windows.events_start_date <= interactions.event_date
    inner join identities on interactions.customer_ref_key = identities.customer_ref_key
    group by windows.snapshot, identities.customer_id
),

outcomes as (
    select
        windows.snapshot,
        orders.customer_id,
        count(*) as label_orders
    from windows
    inner join orders on windows.snapshot_date <= orders.order_date
    where windows.snapshot = 'train'
    group by windows.snapshot, orders.customer_id
),

final as (
    select
        history.snapshot,
        history.snapshot_date,
        history.customer_id,
        history.recency_days,
        history.frequency,
        history.monetary,
        history.orders_total,
        history.tenure_days,
        history.avg_order_value,
        journeys.first_channel,
        coalesce(campaign_history.campaign_contacts, 0) as campaign_contacts,
        coalesce(campaign_history.campaign_responses, 0) as campaign_responses,
        coalesce(event_history.events_recent, 0) as events_recent,
        case
            when history.snapshot = 'train' then coalesce(outcomes.label_orders, 0) > 0
        end as label,
        case
            when history.snapshot = 'train' then coalesce(outcomes.label_orders, 0)
        end as label_orders
    from history
    left join journeys on history.customer_id = journeys.customer_id
    left join campaign_history
        on
            history.snapshot = campaign_history.snapshot
            and history.customer_id = campaign_history.customer_id
    left join event_history
        on
            history.snapshot = event_history.snapshot
            and history.customer_id = event_history.customer_id
    left join outcomes
        on
            history.snapshot = outcomes.snapshot
            and history.customer_id = outcomes.customer_id
)

select * from final
