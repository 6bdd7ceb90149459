"""The README's worked source mappings (examples/*/sources.yml) load what they promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from test_ingestion import TILL_EXPORT, load, rows, write

from dagster_project import settings
from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.sources import load_mapping

EXAMPLES = settings.PROJECT_ROOT / "examples"


@pytest.mark.parametrize("example", ["french_till", "eshop"])
def test_the_readme_shows_each_example_verbatim(example: str) -> None:
    readme = (settings.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert (EXAMPLES / example / "sources.yml").read_text(encoding="utf-8") in readme


def test_french_till_example(tmp_path: Path) -> None:
    write(tmp_path / "landing/till/ventes-2026-10-03.csv", TILL_EXPORT.encode("cp1252"))
    result = load(tmp_path, load_mapping(EXAMPLES / "french_till" / "sources.yml"))
    assert (result.total("rows_loaded"), result.total("rows_quarantined")) == (3, 0)
    assert rows(
        tmp_path,
        "select order_id, order_line, order_ts, quantity, unit_price, status"
        " from raw.transactions order by order_line",
    ) == [
        ("T0001", 2, datetime(2026, 10, 3, 8, 15), Decimal(2), Decimal("49.9"), "completed"),
        ("T0001", 3, datetime(2026, 10, 3, 8, 15), Decimal(1), Decimal(25), "completed"),
        ("T0002", 4, datetime(2026, 10, 4, 16, 40), Decimal(1), Decimal("49.9"), "returned"),
    ]


def write_eshop_landing(tmp_path: Path) -> None:
    """The files the eshop example reads: Parquet orders, JSON-lines events, a CRM CSV."""
    (tmp_path / "landing/orders").mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            "copy (select * from (values"
            " ('A1', 1, 'ann@example.com', timestamp '2026-10-01 10:00', 'S1', 'shoes', 1,"
            "  59.90, 0.00, 'paid'),"
            " ('A1', 2, 'ann@example.com', timestamp '2026-10-01 10:00', 'S2', 'socks', 3,"
            "  4.00, 2.00, 'refunded'),"
            " ('A2', 1, 'bob@example.com', timestamp '2026-10-02 11:00', 'S1', 'shoes', 1,"
            "  59.90, 0.00, 'test')"
            ") t(order_number, line_no, customer_email, created_at, sku, product_type, qty,"
            " price, discount_amount, state))"
            f" to '{tmp_path / 'landing/orders/orders-2026-10-02.parquet'}' (format parquet)"
        )
    events = [
        {"id": "e1", "user_email": "ann@example.com", "ts": "2026-10-01 09:58:00",
         "name": "product_page_view", "source": "web", "page": "/p/S1", "utm_campaign": None},
        {"id": "e2", "user_email": None, "ts": "2026-10-01 12:00:00", "name": "blog_view",
         "source": "web", "page": "/blog/fit", "utm_campaign": None},
        {"id": "e3", "user_email": "bob@example.com", "ts": "2026-10-02 08:00:00",
         "name": "wishlist_add", "source": "app", "page": "/p/S2", "utm_campaign": "OCT"},
        {"id": "e4", "user_email": "bob@example.com", "ts": "2026-10-02 08:01:00",
         "name": "page_scroll", "source": "app", "page": "/p/S2", "utm_campaign": None},
    ]  # fmt: skip
    write(tmp_path / "landing/events/2026-10-02.jsonl", "\n".join(map(json.dumps, events)) + "\n")
    write(
        tmp_path / "landing/crm/customers.csv",
        "id,email,country_code,created,newsletter\n"
        "K1,ann@example.com,FR,2025-01-05 10:00:00,yes\n"
        "K2,bob@example.com,BE,2025-03-01 09:00:00,no\n",
    )


def test_eshop_example(tmp_path: Path) -> None:
    write_eshop_landing(tmp_path)
    sources = load_mapping(EXAMPLES / "eshop" / "sources.yml")

    orders = load(tmp_path, sources, "transactions")
    assert (orders.total("rows_read"), orders.total("rows_loaded")) == (3, 2)
    assert orders.total("rows_filtered") == 1
    assert rows(
        tmp_path,
        "select order_id, order_line, customer_ref, category, status, channel"
        " from raw.transactions order by order_line",
    ) == [
        ("A1", 1, "ann@example.com", "shoes", "completed", "web"),
        ("A1", 2, "ann@example.com", "socks", "returned", "web"),
    ]

    interactions = load(tmp_path, sources, "interactions")
    assert (interactions.total("rows_loaded"), interactions.total("rows_quarantined")) == (3, 1)
    assert rows(tmp_path, "select event_type, customer_ref from raw.interactions order by 1") == [
        ("blog_view", None),
        ("product_page_view", "ann@example.com"),
        ("wishlist_add", "bob@example.com"),
    ]
    assert "page_scroll" in rows(tmp_path, "select reason from raw.quarantine")[0][0]

    customers = load(tmp_path, sources, "crm_customers")
    assert customers.total("rows_loaded") == 2
    assert rows(
        tmp_path, "select customer_id, country, opt_in_email from raw.crm_customers order by 1"
    ) == [("K1", "FR", True), ("K2", "BE", False)]


def test_eshop_example_loads_and_builds_through_dbt(tmp_path: Path) -> None:
    """The mapping's `accepted_values` extension (wishlist_add) reaches dbt's tests."""
    write_eshop_landing(tmp_path)
    sources = load_mapping(EXAMPLES / "eshop" / "sources.yml")
    for name in SOURCES:
        load(tmp_path, sources, name)
    assert rows(
        tmp_path,
        "select origin from raw.accepted_values "
        "where list_name = 'interactions.event_type' and value = 'wishlist_add'",
    ) == [("sources.yml",)]

    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [
            str(dbt), "build", "--project-dir", str(settings.DBT_PROJECT_DIR),
            "--profiles-dir", str(settings.DBT_PROJECT_DIR),
            "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "logs"),
            "--vars", json.dumps({"scoring_date": "2026-10-03"}),
            # What the fitted models' tables feed needs the Python assets (not run here).
            "--exclude", "source:predictions+", "source:predictions_survival+",
            "source:predictions_propensity+",
        ],
        env={**os.environ, "SCORING_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb")},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    results = json.loads((tmp_path / "dbt_target/run_results.json").read_text())["results"]
    (event_type_test,) = [
        r
        for r in results
        if r["unique_id"].startswith("test.customer_scoring.accepted_in_contract_stg_interactions")
    ]
    assert event_type_test["status"] == "pass"
    assert rows(tmp_path, "select event_type from staging.stg_interactions order by 1") == [
        ("blog_view",),
        ("product_page_view",),
        ("wishlist_add",),
    ]
