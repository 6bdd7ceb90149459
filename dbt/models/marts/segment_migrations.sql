-- Customers moving between segments from one scoring date in the history to the next:
-- one row per (from date, to date, from segment, to segment) with the number of customers.
-- Customers new to the history come from '(none)'; customers no longer present go to '(none)'.
with history as (
    select * from {{ ref('customer_segment_history') }}
),

dates as (
    select distinct scoring_date from history
),

date_pairs as (
    select
        lag(scoring_date) over (order by scoring_date) as from_scoring_date,
        scoring_date as to_scoring_date
    from dates
),

pair_members as (
    select
        date_pairs.from_scoring_date,
        date_pairs.to_scoring_date,
        history.customer_id,
        history.scoring_date,
        history.segment
    from date_pairs
    inner join history
        on history.scoring_date in (date_pairs.from_scoring_date, date_pairs.to_scoring_date)
    where date_pairs.from_scoring_date is not null
),

moves as (
    select
        from_scoring_date,
        to_scoring_date,
        customer_id,
        coalesce(max(case when scoring_date = from_scoring_date then segment end), '(none)')
            as from_segment,
        coalesce(max(case when scoring_date = to_scoring_date then segment end), '(none)')
            as to_segment
    from pair_members
    group by from_scoring_date, to_scoring_date, customer_id
),

final as (
    select
        from_scoring_date,
        to_scoring_date,
        from_segment,
        to_segment,
        from_segment <> to_segment as is_migration,
        count(*) as customers
    from moves
    group by from_scoring_date, to_scoring_date, from_segment, to_segment
)

select * from final
