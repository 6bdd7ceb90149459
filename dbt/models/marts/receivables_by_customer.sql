-- The reminder list a credit controller works from: the customers who owe an overdue
-- amount or whose payment-risk band is above low, most urgent first: those with money
-- overdue before those without (there is nothing to chase there yet), then band priority,
-- then overdue amount x days overdue. priority_rank is the order to work in; names and
-- contact details are in the CRM under customer_id.
with risk as (
    select * from {{ ref('customer_payment_risk') }}
),

listed as (
    select * from risk
    where overdue_amount > 0 or payment_risk_band <> 'low'
),

final as (
    select
        row_number() over (
            order by
                case when listed.overdue_amount > 0 then 0 else 1 end asc,
                listed.payment_risk_priority asc,
                listed.overdue_amount_days desc,
                listed.overdue_amount desc,
                listed.customer_id asc
        ) as priority_rank,
        listed.customer_id,
        listed.payment_risk_band,
        listed.payment_risk_score,
        listed.recommended_payment_action,
        listed.payment_risk_reasons,
        listed.open_amount,
        listed.overdue_amount,
        listed.overdue_1_30_amount,
        listed.overdue_31_60_amount,
        listed.overdue_61_90_amount,
        listed.overdue_over_90_amount,
        listed.max_days_overdue,
        listed.overdue_amount_days,
        listed.paid_on_time_share,
        listed.avg_days_late,
        listed.payment_trend_days,
        listed.is_paying_later,
        listed.disputed_invoices,
        listed.written_off_invoices,
        listed.scoring_date
    from listed
)

select * from final
order by priority_rank
