{{ config(meta={'dagster': {'ref': {'name': 'customer_scores'}}}) }}
-- customer_scores holds every customer of int_customers exactly once, and nobody else.
-- Returns the offending customers, plus one row when the two row counts differ.
with customers as (
    select customer_id from {{ ref('int_customers') }}
),

scores as (
    select
        customer_id,
        count(*) as score_rows
    from {{ ref('customer_scores') }}
    group by customer_id
),

per_customer as (
    select
        coalesce(customers.customer_id, scores.customer_id) as customer_id,
        case
            when scores.customer_id is null then 'missing from customer_scores'
            when customers.customer_id is null then 'not in int_customers'
            else 'scored ' || scores.score_rows || ' times'
        end as problem
    from customers
    full outer join scores on customers.customer_id = scores.customer_id
    where
        scores.customer_id is null
        or customers.customer_id is null
        or scores.score_rows <> 1
),

row_counts as (
    select
        null as customer_id,
        'customer_scores has ' || score_rows || ' rows, int_customers ' || customer_rows
            as problem
    from (
        select
            (select count(*) from {{ ref('customer_scores') }}) as score_rows,
            (select count(*) from customers) as customer_rows
    )
    where score_rows <> customer_rows
)

select * from per_customer
union all
select * from row_counts
