"""Order lines for the benchmarks: one generator, in DuckDB SQL, for every benchmark that needs
transactions (CSV files to load, or rows straight into `raw.transactions`).

Values derive from hashes of the row number, so every run makes the same data. Line `i` is
line `i % LINES_PER_ORDER + 1` of order `i // LINES_PER_ORDER`; `g` is a non-negative hash
of the order (the same on all its lines: customer, date, channel) and `h` one of the line
(product, quantity, price, status).
"""

from __future__ import annotations

from collections.abc import Mapping

LINES_PER_ORDER = 3

_SQL = """
select
    'O' || lpad((i // {per_order})::varchar, 10, '0') as order_id,
    i % {per_order} + 1 as order_line,
    {customer_ref} as customer_ref,
    order_ts,
    ['web', 'store', 'phone', 'mail', 'marketplace'][1 + (g // 7) % 5] as channel,
    'P' || (h % 5000) as product_id,
    ['shoes', 'bags', 'coats', 'shirts', 'dresses', 'belts', 'hats', 'socks'][1 + (h // 3) % 8]
        as category,
    1 + (h // 11) % 4 as quantity,
    ((99 + (h // 13) % 20000) / 100)::decimal(10, 2) as unit_price,
    case when (h // 17) % 10 = 0 then 5.00 else 0.00 end::decimal(10, 2) as discount,
    'EUR' as currency,
    case
        when (h // 19) % 100 < 90 then 'completed'
        when (h // 19) % 100 < 96 then 'returned'
        else 'cancelled'
    end as status{extra}
from (
    select *, {order_ts} as order_ts{derived}
    from (
        select i, (hash(i // {per_order}) >> 1)::bigint as g, (hash(i) >> 1)::bigint as h
        from range({start}, {stop}) t(i)
    )
)
"""


def order_lines_sql(
    start: int,
    stop: int,
    *,
    customer_ref: str,
    order_ts: str,
    derived: Mapping[str, str] | None = None,
    extra: str = "",
) -> str:
    """A query of order lines `start` to `stop - 1` in the canonical transaction columns.

    `customer_ref` and `order_ts` are SQL expressions over `i`, `g` and `h` (and the
    `derived` columns, computed beside `order_ts`); `extra` appends columns (e.g. the
    loader's lineage columns) that may use `order_ts`.
    """
    return _SQL.format(
        per_order=LINES_PER_ORDER,
        start=start,
        stop=stop,
        customer_ref=customer_ref,
        order_ts=order_ts,
        derived="".join(f", {sql} as {name}" for name, sql in (derived or {}).items()),
        extra=f",\n    {extra}" if extra else "",
    )
