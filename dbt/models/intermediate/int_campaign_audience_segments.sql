-- depends_on: {{ ref('rfm_thresholds') }}
-- The RFM segment of every customer a campaign selected (contacted or held out), as of
-- the campaign's start date: the scores of customer_rfm (macro rfm_score, ranked among
-- the campaign's audience) and the cells of seed rfm_segment_grid, on the counted orders
-- before that day. Taken before the campaign, a response cannot move its own segment.
{%- set lookback = var('rfm_lookback_days') %}
{%- set window_start = 'cast(null as date)' if lookback is none
    else dbt.dateadd('day', -lookback, 'campaign_start_date') %}

with contacts as (
    select * from {{ ref('int_campaign_contacts') }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

grid as (
    select * from {{ ref('rfm_segment_grid') }}
),

audience as (
    select distinct
        campaign_id,
        customer_id,
        campaign_start_date,
        {{ window_start }} as window_start_date
    from contacts
),

history as (
    select
        audience.campaign_id,
        audience.customer_id,
        {{ dbt.datediff('max(orders.order_date)', 'audience.campaign_start_date', 'day') }}
            as recency_days,
        sum(case
            when
                audience.window_start_date is null
                or orders.order_date >= audience.window_start_date
                then 1
            else 0
        end) as frequency,
        coalesce(sum(case
            when
                audience.window_start_date is null
                or orders.order_date >= audience.window_start_date
                then orders.net_amount
        end), 0) as monetary
    from audience
    inner join orders
        on
            audience.customer_id = orders.customer_id
            and audience.campaign_start_date > orders.order_date
    group by audience.campaign_id, audience.customer_id, audience.campaign_start_date
),

scored as (
    select
        campaign_id,
        customer_id,
        {{ rfm_score('recency', 'recency_days', 'desc', 'campaign_id') }} as r_score,
        {{ rfm_score('frequency', 'frequency', 'asc', 'campaign_id') }} as f_score
    from history
),

final as (
    select
        audience.campaign_id,
        audience.customer_id,
        audience.campaign_start_date,
        coalesce(grid.segment, 'prospect') as segment
    from audience
    left join scored
        on
            audience.campaign_id = scored.campaign_id
            and audience.customer_id = scored.customer_id
    left join grid on scored.r_score = grid.r_score and scored.f_score = grid.f_score
)

select * from final
