"""The loader's parts on their own: file content and line count, the memory setting, and
a file's typed rows from its scan and mapping without the load around them."""

from __future__ import annotations

import gzip
import hashlib
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_ingestion import DEMO_HEADER, DEMO_MAPPING, mapping, write

from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.landing_files import fingerprint
from dagster_project.lib.landing_scan import LandingFile
from dagster_project.lib.mapping_sql import map_columns
from dagster_project.lib.memory import memory_limit
from dagster_project.lib.sources import MappingError
from dagster_project.lib.typed_rows import typed_rows_sql
from dagster_project.lib.values import DateWindow


@pytest.mark.parametrize(("text", "lines"), [(b"a\nb\n", 2), (b"a\nb", 2), (b"", 0)])
def test_fingerprint_counts_lines_while_hashing(tmp_path: Path, text: bytes, lines: int) -> None:
    path = write(tmp_path / "f.csv", text)
    with duckdb.connect() as con:
        result = fingerprint(con, str(path))
        packed = fingerprint(con, str(write(tmp_path / "f.csv.gz", gzip.compress(text))))
    assert (result.digest, result.lines) == (hashlib.sha256(text).hexdigest(), lines)
    assert packed.lines is None  # counted after decompression, when needed


def test_memory_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    total_mib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "0.25")
    assert memory_limit() == f"{total_mib // 4}MiB"
    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "4GB")
    assert memory_limit() == "4GB"
    monkeypatch.delenv("SCORING_MEMORY_LIMIT")
    assert memory_limit() == f"{total_mib // 2}MiB"
    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "2")
    with pytest.raises(MappingError, match="between 0 and 1"):
        memory_limit()


def test_typed_rows_of_one_scan(tmp_path: Path) -> None:
    lines = [
        "O1,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed",
        "O2,1,C2,yesterday,web,P1,shoes,1,10.00,0,EUR,completed",
        "O1,1,C1,2026-10-02 10:00:00,web,P1,shoes,2,10.00,0,EUR,completed",
    ]
    path = write(tmp_path / "landing/transactions/t.csv", "\n".join([DEMO_HEADER, *lines]) + "\n")
    spec = mapping(tmp_path, DEMO_MAPPING)["transactions"].inputs[0]
    with duckdb.connect() as con:
        landing = LandingFile(con, spec, str(path), "t.csv", tmp_path / "tmp")
        mapped = map_columns(con, spec, "t.csv", landing.columns, landing.shape())
        window = DateWindow(date(2000, 1, 1), date(2026, 11, 1))
        sql = typed_rows_sql(SOURCES["transactions"], landing, landing.direct(), mapped, window)
        result = con.execute(
            f"select _line_number, quantity, _reason, _raw_text, _keep from ({sql}) order by 1"
        ).fetchall()
    # Every line typed and checked; the repeated key O1 is left to the stage (file_stage).
    assert result == [
        (2, 1, None, None, True),
        (3, 1, "unparsable order_ts 'yesterday'", lines[1], True),
        (4, 2, None, None, True),
    ]
