"""Scoring: the dbt models against one hand-written DuckDB query computing the same R/F/M.

Data: 1 million CRM customers, 20 million order lines and 50 million interactions (times
`--scale`), plus CRM notes, campaigns and campaign contacts in proportion, generated with
DuckDB SQL straight into the `raw.*` tables of a fresh warehouse, created by the loader's
own `ensure_schema` (canonical columns and lineage columns, exactly as a load leaves them,
with a load manifest row per file).
Order references mix CRM ids, CRM ids in another case, CRM e-mails in capitals and guest
e-mails; orders have up to 3 lines, some returned or cancelled; some customers sign up
after the scoring date; facts run past the scoring date, so every rule is exercised.

Measured, each in a fresh process on the same warehouse file, after `dbt seed`:

* dbt, RFM path: `dbt run --select +customer_rfm`, the staging views and the tables
  customer_rfm depends on (CRM as of the date, identities, orders, order summary) and
  customer_rfm itself, as dbt materialises them.
* hand-written: one `create table as` query from the raw tables to the same columns:
  identity resolution (CRM id, then CRM e-mail, else guest), orders counted when their
  net amount is positive, dated by their earliest line, R/F/M over all history (the default),
  scores 1 + floor(5 * (rank - 1) / n). Same engine, same threads, same materialisation
  of its result; it only skips the intermediate tables dbt keeps for the other models.
* dbt build, everything: what a daily run's dbt step does (all models, seeds and dbt
  tests, not the unit tests), for its time and peak memory; compared with the same
  hand-written query for scale only.

Then the Great Expectations suites on the built warehouse (`checks.py`), against the
`dbt build`'s time and peak memory. The built warehouse stays for the prediction and
incremental benchmarks of the same invocation (`built_warehouse_dir`).

Rows/s count order lines for the RFM path and every raw row for the whole build.
Correctness: the hand-written R/F/M must equal marts.customer_rfm for every customer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.loader import ensure_schema
from dagster_project.lib.memory import memory_limit
from dagster_project.lib.warehouse import quote_literal
from dagster_project.settings import DBT_PROJECT_DIR

from . import checks
from ._measure import Comparison, measure, print_ratio, quiet, scaled, timed
from ._targets import Target
from .order_lines import order_lines_sql

CUSTOMERS = 1_000_000
LINES = 20_000_000
INTERACTIONS = 50_000_000
NOTES_PER_CUSTOMER = 0.2
CONTACTS_PER_CUSTOMER = 2
CAMPAIGNS = 50
SCORING_DATE = "2026-11-01"
# Facts from 2024-10-01 to 2026-12-01: two years of history and a month after the date.
HISTORY = "timestamp '2024-10-01' + to_seconds(({value}) % (792 * 86400))"
CUSTOMER_ID = "'C' || lpad(({value})::varchar, 8, '0')"


# What a pipeline run's dbt step builds (defs/scoring.py leaves unit tests out: they check
# the SQL on fixed rows, not the data), less the models that read fitted predictions: they
# need the Python model assets in between, which the prediction benchmark measures.
BUILD = ["build", "--exclude-resource-type", "unit_test", "--exclude"]
BUILD += ["source:predictions+", "source:predictions_survival+"]
BUILD += ["source:predictions_propensity+"]


def built_warehouse_dir(work_dir: Path) -> Path:
    """Where the scoring benchmark generates and builds its warehouse (with its dbt target):
    beside the benchmarks' own folders, so that the benchmarks after it in the same
    invocation, on the same data, start from it (prediction reads its features, then
    incremental adds files to it) instead of generating and building it again."""
    return work_dir.parent / "scored-warehouse"


def _pick(values: list[str], key: str) -> str:
    """SQL choosing one of `values` by a non-negative integer expression."""
    return f"[{', '.join(map(quote_literal, values))}][1 + ({key}) % {len(values)}]"


def _lineage(source: str, month_of: str | None, line: str) -> str:
    """The loader's lineage columns: one file per month (or one file), line numbers."""
    file = f"'{source}/{source}.csv'"
    if month_of:
        file = f"'{source}/{source}_' || strftime({month_of}, '%Y-%m') || '.csv'"
    return (
        f"{file} as _source_file, {line} + 2 as _line_number, "
        f"'sha256:' || md5({file}) as _file_hash, timestamp '2026-11-01 05:00' as _loaded_at"
    )


def _rows(n: int) -> str:
    """Rows i = 0..n-1 with h, a non-negative hash of i that derives the row's values."""
    return f"(select i, (hash(i) >> 1)::bigint as h from range({n}) t(i))"


def _generate_sql(customers: int, lines: int, interactions: int) -> list[str]:
    notes, contacts = round(customers * NOTES_PER_CUSTOMER), customers * CONTACTS_PER_CUSTOMER
    refs = customers + customers // 10  # refs past the last CRM id are guests
    buyer = f"floor(pow((g % 1000000007) / 1000000007, 1.5) * {refs})::bigint"
    texts = [
        "Client mécontent : colis abîmé, demande un remboursement.",
        "Customer asked about the new collection, interested in a quote.",
        "Souhaite résilier son abonnement.",
        "Very happy with the service, will recommend us.",
        "Trouve les prix trop chers, attend une remise.",
        "Appel de suivi, rien à signaler.",
        "Called about delivery times.",
        "Ravie de son achat, fidèle depuis 5 ans.",
    ]
    events = ["product_page_view", "blog_view", "pricing_page_view", "cart_add", "email_open"]
    events += ["email_click", "form_submit", "webinar_attended", "unsubscribe"]
    campaign = "'CAMP' || lpad((({value}) % " + str(CAMPAIGNS) + ")::varchar, 3, '0')"
    return [
        f"""
        insert into raw.crm_customers by name
        select
            {CUSTOMER_ID.format(value="i")} as customer_id,
            case when h % 20 <> 0 then 'customer' || i || '@example.com' end as email,
            {_pick(["Camille", "Léa", "Louis", "Jules", "Emma", "Hugo"], "h // 20")} as first_name,
            {_pick(["Martin", "Bernard", "Dubois", "Thomas", "Petit"], "h // 200")} as last_name,
            date '1940-01-01' + ((h // 3000) % 22000)::integer as birth_date,
            lpad((1000 + (h // 7) % 95000)::varchar, 5, '0') as postcode,
            {_pick(["Paris", "Lyon", "Bruxelles", "Genève", "Lille", "Nantes"], "h // 11")}
                as city,
            {_pick(["FR", "FR", "FR", "BE", "CH", "LU", "DE", "ES"], "h // 13")} as country,
            timestamp '2020-01-01' + to_seconds((h // 17) % (2557 * 86400)) as signup_ts,
            {_pick(["organic_search", "paid_search", "referral", "store", "social"], "h // 19")}
                as acquisition_channel,
            (h // 23) % 3 = 0 as opt_in_email,
            (h // 29) % 4 = 0 as loyalty_member,
            {_lineage("crm_customers", None, "i")}
        from {_rows(customers)}
        """,
        "insert into raw.transactions by name "
        + order_lines_sql(
            0,
            lines,
            customer_ref=f"""
                case
                    when c >= {customers} then 'guest' || c || '@mail.example'
                    when (g // 7) % 20 = 0 then 'CUSTOMER' || c || '@EXAMPLE.COM'
                    when (g // 7) % 20 = 1 then lower({CUSTOMER_ID.format(value="c")})
                    else {CUSTOMER_ID.format(value="c")}
                end""",
            # Each customer buys within a span of their own (starting in the first 500
            # days, 30 days to two years long), then stops: lapsed and active customers,
            # as the purchase model expects (dates uniform over the whole history leave it
            # no drop-out to find, and its fit does not converge).
            order_ts=(
                f"timestamp '2024-10-01' + to_seconds((hash({buyer}) >> 1) % (500 * 86400) "
                f"+ (g // 1000000007) % ((30 + pow((hash({buyer} + 1) >> 1) % 1000 / 1000, 2)"
                " * 730) * 86400)::bigint)"
            ),
            # Skewed: a few customers buy often, most rarely.
            derived={"c": buyer},
            extra=_lineage("transactions", "order_ts", "i"),
        ),
        f"""
        insert into raw.interactions by name
        select
            'E' || i as event_id,
            case when h % 10 >= 3 then {CUSTOMER_ID.format(value=f"(h // 10) % {refs}")} end
                as customer_ref,
            event_ts,
            {_pick(events, "h // 7")} as event_type,
            {_pick(["web", "email", "app"], "h // 11")} as channel,
            '/p/' || (h // 13) % 1000 as url,
            case when (h // 7) % 9 in (4, 5) then {campaign.format(value="h // 17")} end
                as campaign_id,
            {_lineage("interactions", "event_ts", "i")}
        from (select *, {HISTORY.format(value="h // 1000")} as event_ts from {_rows(interactions)})
        """,
        f"""
        insert into raw.crm_notes by name
        select
            'N' || i as note_id,
            {CUSTOMER_ID.format(value=f"h % {customers}")} as customer_ref,
            {HISTORY.format(value="h // 1000")} as note_ts,
            {_pick(["anne", "marc", "julie"], "h // 3")} as author,
            {_pick(texts, "h // 7")} as note_text,
            {_lineage("crm_notes", None, "i")}
        from {_rows(notes)}
        """,
        f"""
        insert into raw.campaigns by name
        select
            {campaign.format(value="i")} as campaign_id,
            'Campaign ' || i as name,
            {_pick(["email", "sms", "mail"], "i")} as channel,
            date '2024-10-01' + (15 * i)::integer as start_date,
            date '2024-10-01' + (15 * i + 30)::integer as end_date,
            0.05 as cost_per_contact,
            500 as fixed_cost,
            '10% off' as offer,
            {_lineage("campaigns", None, "i")}
        from {_rows(CAMPAIGNS)}
        """,
        f"""
        insert into raw.campaign_contacts by name
        select
            {campaign.format(value="i")} as campaign_id,
            {CUSTOMER_ID.format(value=f"h % {customers}")} as customer_ref,
            contact_ts,
            (h // 7) % 10 = 0 as responded,
            case when (h // 7) % 10 = 0 then contact_ts + interval 1 day end as response_ts,
            {_lineage("campaign_contacts", None, "i")}
        from (select *, {HISTORY.format(value="h // 1000")} as contact_ts from {_rows(contacts)})
        """,
    ]


def generate(warehouse: Path, customers: int, lines: int, interactions: int) -> None:
    with quiet(duckdb.connect(str(warehouse))) as con:
        ensure_schema(con)
        for statement in _generate_sql(customers, lines, interactions):
            con.execute(statement)
        for source in SOURCES:  # one manifest row per file, as the loader records them
            con.execute(
                f"insert into raw.load_manifest select '{source}', _source_file, "
                "any_value(_file_hash), 'loaded', count(*), count(*), 0, 0, 0, 0, "
                f"max(_loaded_at), true from raw.{source} group by _source_file"
            )
        con.execute("checkpoint")


def run_dbt(command: list[str], warehouse: str, target: str) -> str:
    """Run a dbt command on the warehouse; say how long its nodes took, slowest first."""
    dbt = Path(sys.executable).parent / "dbt"
    args = [str(dbt), *command, "--project-dir", str(DBT_PROJECT_DIR)]
    args += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", target]
    # Under the memory limit and spill folder the pipeline gives dbt (ScoringSettings.dbt_vars).
    bounds = {"memory_limit": memory_limit(), "temp_directory": str(Path(target) / "duckdb-tmp")}
    args += ["--log-path", target, "--vars", json.dumps({"scoring_date": SCORING_DATE, **bounds})]
    env = {**os.environ, "SCORING_WAREHOUSE_PATH": warehouse}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode:
        tail = "\n".join(done.stdout.splitlines()[-30:])
        raise RuntimeError(f"`dbt {' '.join(command)}` failed:\n{tail}")
    results = json.loads((Path(target) / "run_results.json").read_text())["results"]
    nodes = sorted(results, key=lambda r: -r["execution_time"])
    slowest = ", ".join(
        f"{r['unique_id'].split('.')[2]} {r['execution_time']:.1f}" for r in nodes[:3]
    )
    return f"{sum(r['execution_time'] for r in results):.2f} s in {len(results)} nodes ({slowest})"


# The R/F/M definition (int_orders.sql, int_customer_order_summary.sql, customer_rfm.sql),
# written afresh as one query over the raw tables.
HAND_RFM = """
create or replace table main.bench_hand_rfm as
with crm as (
    select customer_id, lower(trim(customer_id)) as id_key,
        nullif(lower(trim(email)), '') as email_key
    from raw.crm_customers
    where signup_ts is null or signup_ts < date '{date}'
),
by_id as (select id_key, min(customer_id) as customer_id from crm group by id_key),
by_email as (
    select email_key, min(customer_id) as customer_id from crm
    where email_key is not null group by email_key
),
orders as (
    select
        t.order_id,
        min(coalesce(by_id.customer_id, by_email.customer_id, 'guest:' || t.ref_key))
            as customer_id,
        min(t.order_date) as order_date,
        sum(case t.status
            when 'completed' then t.amount when 'returned' then -abs(t.amount) else 0
        end) as net_amount
    from (
        select *, lower(trim(customer_ref)) as ref_key, order_ts::date as order_date,
            coalesce(line_amount, quantity * unit_price - coalesce(discount, 0)) as amount
        from raw.transactions
        where order_ts < date '{date}'
    ) t
    left join by_id on by_id.id_key = t.ref_key
    left join by_email on by_email.email_key = t.ref_key
    group by t.order_id
    having net_amount > 0
),
rfm as (
    select
        customer_id,
        date_diff('day', max(order_date), date '{date}') as recency_days,
        count(*) as frequency,
        sum(net_amount) as monetary
    from orders
    group by customer_id
)
select
    *,
    1 + (5 * (rank() over (order by recency_days desc) - 1)) // count(*) over () as r_score,
    1 + (5 * (rank() over (order by frequency) - 1)) // count(*) over () as f_score,
    1 + (5 * (rank() over (order by monetary) - 1)) // count(*) over () as m_score
from rfm
"""

MISMATCHES = """
select
    count(*) filter (where d.customer_id is null or h.customer_id is null
        or d.recency_days <> h.recency_days or d.frequency <> h.frequency
        or d.monetary <> h.monetary or d.r_score <> h.r_score or d.f_score <> h.f_score
        or d.m_score <> h.m_score) as mismatched,
    count(*) filter (where d.customer_id is null) as only_hand,
    count(*) filter (where h.customer_id is null) as only_dbt,
    count(*) filter (where d.recency_days <> h.recency_days or d.frequency <> h.frequency
        or d.monetary <> h.monetary) as values_differ,
    count(*) filter (where d.r_score <> h.r_score or d.f_score <> h.f_score
        or d.m_score <> h.m_score) as scores_differ,
    count(*) as customers
from marts.customer_rfm d
full join main.bench_hand_rfm h on d.customer_id = h.customer_id
"""


def hand_written_rfm(warehouse: str) -> int:
    with quiet(duckdb.connect(warehouse)) as con:
        con.execute(HAND_RFM.format(date=SCORING_DATE))
        return con.execute("select count(*) from main.bench_hand_rfm").fetchone()[0]


def run(work_dir: Path, scale: float) -> list[Comparison]:
    customers = scaled(CUSTOMERS, scale, minimum=100)
    lines = scaled(LINES, scale, minimum=1000)
    interactions = scaled(INTERACTIONS, scale, minimum=1000)
    shared = built_warehouse_dir(work_dir)
    shared.mkdir()
    warehouse, target = shared / "warehouse.duckdb", str(shared / "dbt-target")
    raw_rows = customers * (1 + NOTES_PER_CUSTOMER + CONTACTS_PER_CUSTOMER) + lines + interactions
    print(
        f"\n== Scoring: {customers:,} customers, {lines:,} order lines, "
        f"{interactions:,} interactions; scoring date {SCORING_DATE}",
        flush=True,
    )
    timed("generate raw.* (DuckDB SQL)", generate, warehouse, customers, lines, interactions)
    print(f"  warehouse {warehouse.stat().st_size / 1e9:.2f} GB", flush=True)
    timed("dbt seed (setup, not compared)", run_dbt, ["seed"], str(warehouse), target)

    rfm_command = ["run", "--select", "+customer_rfm"]
    dbt_rfm = measure("dbt run +customer_rfm", lines, run_dbt, rfm_command, str(warehouse), target)
    print(f"    of which {dbt_rfm.result}", flush=True)
    hand = measure("hand-written RFM query", lines, hand_written_rfm, str(warehouse))
    comparison = Comparison("scoring (RFM path)", dbt_rfm, hand, target=Target(2, None))
    print_ratio(comparison)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        mismatches, only_hand, only_dbt, values, scores, total = con.execute(MISMATCHES).fetchone()
    print(
        f"  R/F/M mismatches hand-written vs marts.customer_rfm: {mismatches:,} of {total:,} "
        f"customers (only hand {only_hand}, only dbt {only_dbt}, values {values}, "
        f"scores {scores})",
        flush=True,
    )
    if mismatches:
        raise SystemExit("scoring: the hand-written R/F/M disagree with marts.customer_rfm")

    build_args = (BUILD, str(warehouse), target)
    build = measure("dbt build (all models + tests)", raw_rows, run_dbt, *build_args)
    print(f"    of which {build.result}", flush=True)
    whole = Comparison("scoring (dbt build)", build, hand, note="all models vs the RFM query")
    print_ratio(whole)
    return [comparison, whole, *checks.run(warehouse, SCORING_DATE, build, scale)]
