{{ config(meta={'dagster': {'ref': {'name': 'customer_scores'}}}) }}
-- Scores are as of the scoring date: no order, event or note on or after it may be used.
select
    'int_orders' as model,
    order_id as row_key,
    order_date as fact_date
from {{ ref('int_orders') }}
where order_date >= {{ scoring_date() }}

union all

select
    'int_customer_order_summary' as model,
    customer_id as row_key,
    last_order_date as fact_date
from {{ ref('int_customer_order_summary') }}
where last_order_date >= {{ scoring_date() }}

union all

select
    'int_customer_note_signals' as model,
    customer_id || '|' || tag as row_key,
    latest_note_date as fact_date
from {{ ref('int_customer_note_signals') }}
where latest_note_date >= {{ scoring_date() }}

union all

select
    'customer_scores' as model,
    customer_id as row_key,
    last_order_date as fact_date
from {{ ref('customer_scores') }}
where
    last_order_date >= {{ scoring_date() }}
    or latest_note_date >= {{ scoring_date() }}
