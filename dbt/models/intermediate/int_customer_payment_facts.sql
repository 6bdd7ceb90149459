-- Per customer with an invoice issued before the scoring date: what was invoiced and how
-- it was paid over the last payment_lookback_days, the trend of lateness (invoices due in
-- the last payment_recent_days against those due earlier in the window), and what is owed
-- now, overdue by age bucket (every invoice still owed counts, however old).
{%- set window_start = dbt.dateadd('day', -var('payment_lookback_days'), scoring_date()) %}
{%- set recent_start = dbt.dateadd('day', -var('payment_recent_days'), scoring_date()) %}

with invoices as (
    select * from {{ ref('int_invoices_as_of') }}
),

flagged as (
    select
        *,
        issue_date >= {{ window_start }} as is_in_window,
        due_date >= {{ recent_start }} as is_recent
    from invoices
),

final as (
    select
        customer_id,
        count(case when is_in_window then 1 end) as invoices_in_window,
        sum(case when is_in_window then amount else 0 end) as invoiced_amount_in_window,
        count(case when is_in_window and is_due then 1 end) as due_invoices_in_window,
        count(case when is_in_window and is_due and is_paid_on_time then 1 end)
            as paid_on_time_in_window,
        round(
            sum(case when is_in_window and is_due and is_paid_on_time then 1.0 else 0 end)
            / nullif(count(case when is_in_window and is_due then 1 end), 0),
            4
        ) as paid_on_time_share,
        count(case when is_in_window and is_paid then 1 end) as paid_invoices_in_window,
        round(avg(case when is_in_window and is_paid then days_late end), 1) as avg_days_late,
        round(
            percentile_cont(0.9) within group (
                order by case when is_in_window and is_paid then days_late end
            ),
            1
        ) as p90_days_late,
        round(avg(case when is_in_window and is_recent then lateness_days end), 1)
            as recent_lateness_days,
        round(avg(case when is_in_window and not is_recent then lateness_days end), 1)
            as earlier_lateness_days,
        round(
            avg(case when is_in_window and is_recent then lateness_days end)
            - avg(case when is_in_window and not is_recent then lateness_days end),
            1
        ) as payment_trend_days,
        sum(outstanding_amount) as open_amount,
        sum(case when days_overdue > 0 then outstanding_amount else 0 end) as overdue_amount,
        sum(case when overdue_bucket = '1-30' then outstanding_amount else 0 end)
            as overdue_1_30_amount,
        sum(case when overdue_bucket = '31-60' then outstanding_amount else 0 end)
            as overdue_31_60_amount,
        sum(case when overdue_bucket = '61-90' then outstanding_amount else 0 end)
            as overdue_61_90_amount,
        sum(case when overdue_bucket = 'over_90' then outstanding_amount else 0 end)
            as overdue_over_90_amount,
        count(case when overdue_bucket = '1-30' then 1 end) as overdue_1_30_invoices,
        count(case when overdue_bucket = '31-60' then 1 end) as overdue_31_60_invoices,
        count(case when overdue_bucket = '61-90' then 1 end) as overdue_61_90_invoices,
        count(case when overdue_bucket = 'over_90' then 1 end) as overdue_over_90_invoices,
        coalesce(max(days_overdue), 0) as max_days_overdue,
        sum(coalesce(outstanding_amount * days_overdue, 0)) as overdue_amount_days,
        count(case when is_in_window and is_disputed then 1 end) as disputed_invoices,
        count(case when is_in_window and is_written_off then 1 end) as written_off_invoices,
        sum(case when is_in_window and is_written_off then amount - paid_amount else 0 end)
            as written_off_amount
    from flagged
    group by customer_id
)

select * from final
