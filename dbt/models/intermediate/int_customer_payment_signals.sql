-- Payment-risk points per customer and signal: each signal's value (in the unit of the
-- grid) times its points, capped at its cap (seed payment_risk_points). A signal that has
-- no value (no invoice due yet, nothing paid yet) earns nothing.
with facts as (
    select * from {{ ref('int_customer_payment_facts') }}
),

grid as (
    select * from {{ ref('payment_risk_points') }}
),

signals as (
    select
        customer_id,
        'late_share' as signal,
        100 * (1 - paid_on_time_share) as signal_value
    from facts
    union all
    select
        customer_id,
        'avg_days_late' as signal,
        avg_days_late as signal_value
    from facts
    union all
    select
        customer_id,
        'p90_days_late' as signal,
        p90_days_late as signal_value
    from facts
    union all
    select
        customer_id,
        'trend_days' as signal,
        greatest(payment_trend_days, 0) as signal_value
    from facts
    union all
    select
        customer_id,
        'overdue_1_30' as signal,
        overdue_1_30_invoices as signal_value
    from facts
    union all
    select
        customer_id,
        'overdue_31_60' as signal,
        overdue_31_60_invoices as signal_value
    from facts
    union all
    select
        customer_id,
        'overdue_61_90' as signal,
        overdue_61_90_invoices as signal_value
    from facts
    union all
    select
        customer_id,
        'overdue_over_90' as signal,
        overdue_over_90_invoices as signal_value
    from facts
    union all
    select
        customer_id,
        'disputes' as signal,
        disputed_invoices as signal_value
    from facts
    union all
    select
        customer_id,
        'write_offs' as signal,
        written_off_invoices as signal_value
    from facts
),

final as (
    select
        signals.customer_id,
        signals.signal,
        signals.signal_value,
        least(grid.cap, signals.signal_value * grid.points) as signal_points,
        {{ dbt.replace(
            'grid.reason_template',
            "'{value}'",
            'cast(cast(round(signals.signal_value) as ' ~ dbt.type_bigint() ~ ') as '
            ~ dbt.type_string() ~ ')'
        ) }} as reason
    from signals
    inner join grid on signals.signal = grid.signal
    where signals.signal_value > 0
)

select * from final
