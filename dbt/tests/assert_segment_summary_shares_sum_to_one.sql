{{ config(meta={'dagster': {'ref': {'name': 'segment_summary'}}}) }}
-- When there are customers, the segment shares of segment_summary add up to 1 (each share
-- is rounded to 4 decimals, so allow 0.001) and its customers add up to customer_scores.
with summary as (
    select
        sum(customers) as customers,
        sum(share) as total_share
    from {{ ref('segment_summary') }}
),

scored as (
    select count(*) as customers from {{ ref('customer_scores') }}
)

select
    summary.customers as summary_customers,
    scored.customers as scored_customers,
    summary.total_share
from summary
cross join scored
where
    summary.customers <> scored.customers
    or (scored.customers > 0 and abs(summary.total_share - 1) > 0.001)
