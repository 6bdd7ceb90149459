"""Personal data: what BI receives, and `forget` erasing one person end to end.

Real Dagster runs on a persistent instance in the data directory, real dbt, the real CLI in
a subprocess, and a byte scan of every file of the data directory afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import (
    END_DATE,
    SCORING_DATE,
    SEED,
    PipelineRun,
    failure_text,
    run_daily,
    use_data_dir,
)

from dagster_project import settings
from dagster_project.demo import generate
from dagster_project.lib import publisher
from dagster_project.lib.personal_data import PERSONAL_COLUMNS, publish_personal_data, salt

pytestmark = pytest.mark.usefixtures("restored_environment")


def columns(db: Path, table: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [c[0] for c in con.execute(f"describe {table}").fetchall()]


def test_bi_gets_ids_and_scores_only_unless_personal_data_is_asked_for(
    demo_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = demo_run.layout.published_db
    assert not set(PERSONAL_COLUMNS) & set(columns(published, "customer_scores"))
    with duckdb.connect(str(published), read_only=True) as con:
        guests = con.execute(
            "select count(*) filter (where customer_id like 'guest-%'), "
            "count(*) filter (where customer_id like '%@%' or customer_id like 'guest:%') "
            "from customer_scores"
        ).fetchone()
    with duckdb.connect(str(demo_run.layout.warehouse), read_only=True) as con:
        warehouse_guests = con.execute(
            "select count(*) from marts.customer_scores where is_guest"
        ).fetchone()[0]
    assert guests == (warehouse_guests, 0) and warehouse_guests > 0

    # The marketing export: the same warehouse published with personal data.
    layout = settings.data_dir(tmp_path / "export")
    layout.root.mkdir()
    shutil.copy(demo_run.layout.warehouse, layout.warehouse)
    shutil.copytree(demo_run.layout.root / "erasure", layout.root / "erasure")
    publisher.publish(layout, SCORING_DATE, "export", [], [], personal_data=True)
    assert set(PERSONAL_COLUMNS) <= set(columns(layout.published_db, "customer_scores"))
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        emails, plain_guests = con.execute(
            "select count(email), count(*) filter (where customer_id like 'guest:%') "
            "from customer_scores"
        ).fetchone()
    assert emails > 0 and plain_guests == warehouse_guests

    # The setting: the environment first, then the top of sources.yml, else off.
    mapping = tmp_path / "sources.yml"
    mapping.write_text("publish_personal_data: true\nsources: {}\n")
    monkeypatch.delenv("SCORING_PUBLISH_PERSONAL_DATA", raising=False)
    assert publish_personal_data(mapping) is True
    assert publish_personal_data(tmp_path / "absent.yml") is False
    monkeypatch.setenv("SCORING_PUBLISH_PERSONAL_DATA", "false")
    assert publish_personal_data(mapping) is False
    monkeypatch.setenv("SCORING_PUBLISH_PERSONAL_DATA", "perhaps")
    with pytest.raises(ValueError, match="SCORING_PUBLISH_PERSONAL_DATA is 'perhaps'"):
        publish_personal_data(mapping)


def mentions(folder: Path, identifiers: list[str], skip: set[Path] = frozenset()) -> list[str]:
    """Files under `folder` holding any identifier as a whole word, in any case."""
    words = "|".join(re.escape(i) for i in identifiers)
    pattern = re.compile(rf"(?<![A-Za-z0-9])({words})(?![A-Za-z0-9])".encode(), re.IGNORECASE)
    return [
        str(p.relative_to(folder))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p not in skip and pattern.search(p.read_bytes())
    ]


def forget(root: Path, customer: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SCORING_DATA_DIR": str(root)}
    environment.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "dagster_project", "forget", "--customer", customer],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_forget_erases_a_person_everywhere_and_keeps_them_out(tmp_path: Path) -> None:
    root = tmp_path / "data"
    layout = use_data_dir(root)
    generate(layout.landing, customers=200, seed=SEED, end_date=END_DATE)
    instance = dg.DagsterInstance.from_config(str(settings.prepare_dagster_home(layout)))
    first = run_daily(SCORING_DATE, instance)
    assert first.success, failure_text(first)

    # A CRM customer whose purchases name them by id in some files and by e-mail in others.
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        customer_id, email, source_file = con.execute(
            """
            select c.customer_id, c.email, min(t._source_file)
            from raw.crm_customers c join raw.transactions t
              on lower(trim(t.customer_ref)) = lower(c.email)
            where exists (select 1 from raw.transactions i where i.customer_ref = c.customer_id)
            group by all order by c.customer_id limit 1
            """
        ).fetchone()
    identifiers = [customer_id, email]
    old_file = (root / source_file).read_bytes()
    # Traces outside the tables: an operator's note in the instance, a line in a log.
    asset = dg.AssetKey(["raw", "crm_customers"])
    instance.report_runless_asset_event(
        dg.AssetObservation(asset_key=asset, metadata={"note": f"complaint from {email}"})
    )
    (root / "logs").mkdir(exist_ok=True)
    (root / "logs" / "run_failures.jsonl").write_text(
        json.dumps({"message": f"customer {customer_id} failed a check"}) + "\n"
    )
    assert len(mentions(root, identifiers)) > 5  # landing, warehouse, published, logs, ...

    done = forget(root, f"  {email.upper()} ")  # by e-mail, in any case and spacing

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Forgot '  {email.upper()} ' (1 id(s), 1 e-mail(s)): ")
    assert mentions(root, identifiers) == []  # no file of the data directory names them
    secret = salt(root)
    assert len(secret) == 64 and (root / "erasure" / "salt").stat().st_mode & 0o077 == 0
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        register = con.execute("select id_hash, email_hash from raw.erasure_register").fetchall()
        left = con.execute(
            "select count(*) from marts.customer_scores where customer_id = ?", [customer_id]
        ).fetchone()[0]
    assert register == [
        (
            hashlib.sha256((secret + customer_id.lower()).encode()).hexdigest(),
            hashlib.sha256((secret + email.lower()).encode()).hexdigest(),
        )
    ]
    assert left == 0
    note = instance.fetch_observations(asset, limit=1).records[0]
    assert note.asset_observation.metadata["note"].value == "complaint from [erased]"
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        published = con.execute(
            "select count(*) from customer_scores where customer_id = ?", [customer_id]
        ).fetchone()[0]
        contributions = con.execute(
            "select count(*) from customer_score_contributions where customer_id = ?",
            [customer_id],
        ).fetchone()[0]
    assert published == 0 and contributions == 0

    # An old export holding them is dropped in landing again, with one broken line of theirs.
    lines = [line for line in old_file.splitlines() if re.search(email.encode(), line, re.I)]
    own_id = re.compile(rb"(?<![A-Za-z0-9])" + re.escape(customer_id.encode()) + rb"(?![0-9])")
    lines += [line for line in old_file.splitlines() if own_id.search(line)]
    broken = f"O9999999,1,{email},31/02/2026,web,P0001,books,1,10.00,0.00,EUR,completed\n"
    old_export = layout.landing_for("transactions") / "old_export.csv"
    old_export.write_bytes(old_file + broken.encode())

    again = run_daily(SCORING_DATE, instance)

    assert again.success, failure_text(again)
    (load,) = [
        e
        for e in again.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["raw", "transactions"])
    ]
    metadata = load.step_materialization_data.materialization.metadata
    assert metadata["rows_erased"].value == len(lines) + 1 and len(lines) > 0
    assert metadata["rows_quarantined"].value == 1  # counted at load, then erased
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        dropped = con.execute(
            "select source, sum(rows_dropped) from raw.erasure_drops group by all"
        ).fetchall()
        quarantined = con.execute("select count(*) from raw.quarantine").fetchone()[0]
    assert dropped == [("transactions", len(lines) + 1)]
    assert quarantined == 0
    # Nothing but the old file itself names them: not the warehouse, not what BI reads.
    assert mentions(root, identifiers, skip={old_export}) == []
