"""Every table of a DuckDB file as JSON, for comparing what two DuckDB versions read.

    python duckdb_table_dump.py <file.duckdb> <out.json>

Run by the project's interpreter and by an old DuckDB's (build/duckdb-old-venv): it only
needs the `duckdb` package of the interpreter that runs it. Values are written as text,
rows sorted, so two readers of the same file give the same JSON.
"""

from __future__ import annotations

import json
import sys

import duckdb


def dump(path: str) -> dict:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'main' order by table_name"
            ).fetchall()
        ]
        out = {"duckdb_version": duckdb.__version__, "tables": {}}
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'main' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            rows = con.execute(f'select * from "{table}"').fetchall()
            text = [json.dumps([None if v is None else str(v) for v in row]) for row in rows]
            out["tables"][table] = {"columns": [list(c) for c in columns], "rows": sorted(text)}
        return out
    finally:
        con.close()


if __name__ == "__main__":
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(dump(sys.argv[1]), handle)
