"""Erasure requests: one person out of every table and file of the data directory, for good.

`forget` removes a person (a CRM customer id or an e-mail address, and whatever the CRM
links to it) from the raw tables, the quarantine, every dbt table (history included), the
published DuckDB and Parquet files, the landing files, the logs and the Dagster instance's
event logs. The erasure is recorded in `raw.erasure_register` as salted hashes of the id and
e-mail only; the loader then drops any row of an erased person that an old file brings
back (`drop_erased`), and counts it in `raw.erasure_drops`.

Matching is on whole identifiers, case-insensitively: `C0001` does not match `C00012`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import settings
from .personal_data import PSEUDONYM_PREFIX, hashed
from .warehouse import connect
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql

# Columns that name a person in any table of the warehouse or of the published files.
IDENTIFYING_COLUMNS = (
    "customer_id",
    "customer_id_key",
    "customer_ref",
    "customer_ref_key",
    "email",
)
# Raw tables whose rows reference a customer (customer_ref), and the CRM table itself.
REFERENCING_SOURCES = ("transactions", "interactions", "crm_notes", "campaign_contacts")
ERASED_TEXT = "[erased]"
_TEXT_SUFFIXES = (".csv", ".jsonl", ".json", ".txt", ".log", ".tsv", ".sql", ".out", ".err")


class ErasureError(RuntimeError):
    """The erasure could not be done now; the message says why and what to do."""


@dataclass
class Person:
    """The identifiers of one person, lower-cased: ids, e-mails, and their guest ids."""

    ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)

    @property
    def keys(self) -> set[str]:
        plain = self.ids | self.emails
        return plain | {f"guest:{k}" for k in plain}

    @property
    def identifiers(self) -> set[str]:
        """What must appear nowhere in the data directory afterwards."""
        return self.ids | self.emails

    def pattern(self) -> re.Pattern[bytes]:
        """Any identifier as a whole word, any case."""
        words = b"|".join(re.escape(k.encode()) for k in sorted(self.identifiers, key=len)[::-1])
        return re.compile(rb"(?<![A-Za-z0-9])(?:" + words + rb")(?![A-Za-z0-9])", re.IGNORECASE)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        "create table if not exists raw.erasure_register (erasure_id varchar, "
        "erased_at timestamp, id_hash varchar, email_hash varchar, rows_removed bigint)"
    )
    con.execute(
        "create table if not exists raw.erasure_drops (source varchar, rows_dropped bigint, "
        "dropped_at timestamp)"
    )


def identify(con: duckdb.DuckDBPyConnection, given: str) -> Person:
    """The person a request names: the given id or e-mail, and the CRM rows that match it."""
    key = given.strip().lower()
    if not key:
        raise ErasureError("Name the person to forget: --customer <customer id or e-mail>.")
    person = Person()
    (person.emails if "@" in key else person.ids).add(key)
    if _table_exists(con, "raw", "crm_customers"):
        rows = con.execute(
            "select distinct lower(trim(customer_id)), lower(trim(email)) from raw.crm_customers "
            "where lower(trim(customer_id)) = ? or lower(trim(email)) = ?",
            [key, key],
        ).fetchall()
        for customer_id, email in rows:
            if customer_id:
                person.ids.add(customer_id)
            if email:
                person.emails.add(email)
    return person


def erase_from_warehouse(con: duckdb.DuckDBPyConnection, person: Person, salt: str) -> dict:
    """Delete the person's rows from every table; record the erasure as hashes. One
    transaction: a crash leaves the warehouse as it was."""
    ensure_tables(con)
    keys = "(" + ", ".join(ql(k) for k in sorted(person.keys)) + ")"
    removed: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for schema, table, columns in _tables(con):
            if (schema, table) in {("raw", "erasure_register"), ("raw", "erasure_drops")}:
                continue
            conditions = [
                f"lower(trim(cast({qi(c)} as varchar))) in {keys}"
                for c in columns
                if c in IDENTIFYING_COLUMNS
            ]
            if (schema, table) == ("raw", "quarantine"):
                conditions.append(f"regexp_matches(raw_text, {ql(_sql_pattern(person))})")
            if not conditions:
                continue
            name = f"{qi(schema)}.{qi(table)}"
            where = " or ".join(conditions)
            count = con.execute(f"select count(*) from {name} where {where}").fetchone()[0]
            if count:
                con.execute(f"delete from {name} where {where}")
                removed[f"{schema}.{table}"] = count
        salt_sql = ql(salt)
        for key in sorted(person.ids) or [None]:
            for email in sorted(person.emails) or [None]:
                con.execute(
                    "insert into raw.erasure_register select ?, now()::timestamp, "
                    f"case when ? is not null then {hashed('?', salt_sql)} end, "
                    f"case when ? is not null then {hashed('?', salt_sql)} end, ?",
                    [str(uuid.uuid4()), key, key, email, email, sum(removed.values())],
                )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return removed


def compact(path: Path) -> None:
    """Rewrite a DuckDB file into a fresh one: deleted rows leave no bytes behind."""
    fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with duckdb.connect() as con:
            con.execute(f"attach {ql(str(path))} as old (read_only)")
            con.execute(f"attach {ql(str(fresh))} as fresh")
            con.execute("copy from database old to fresh")
            con.execute("detach fresh")
            con.execute("detach old")
        os.replace(fresh, path)
    finally:
        fresh.unlink(missing_ok=True)
        Path(f"{fresh}.wal").unlink(missing_ok=True)


def drop_erased(con: duckdb.DuckDBPyConnection, source: str, salt: str) -> int:
    """Rows of erased people that a (re)loaded file brought back: deleted, and counted in
    raw.erasure_drops. Returns how many rows of `source` (and of its quarantine) went."""
    ensure_tables(con)
    if not con.execute("select count(*) from raw.erasure_register").fetchone()[0]:
        return 0
    hashes = (
        "(select id_hash from raw.erasure_register where id_hash is not null "
        "union select email_hash from raw.erasure_register where email_hash is not null)"
    )
    salt_sql = ql(salt)
    conditions = []
    if source in REFERENCING_SOURCES:
        conditions.append(f"{hashed('customer_ref', salt_sql)} in {hashes}")
    elif source == "crm_customers":
        conditions.append(f"{hashed('customer_id', salt_sql)} in {hashes}")
        conditions.append(f"{hashed('email', salt_sql)} in {hashes}")
    dropped = 0
    if conditions:
        where = " or ".join(conditions)
        dropped = con.execute(f"select count(*) from raw.{source} where {where}").fetchone()[0]
        if dropped:
            con.execute(f"delete from raw.{source} where {where}")
    # Quarantined lines of an erased person: any token of the raw text is their id or e-mail.
    tokens = "string_split_regex(lower(raw_text), '[^a-z0-9@._+-]+')"
    quarantined = (
        f"source = {ql(source)} and len(list_intersect(list_transform({tokens}, "
        f"lambda t: sha256({salt_sql} || t)), (select list(h) from {hashes} t(h)))) > 0"
    )
    in_quarantine = con.execute(
        f"select count(*) from raw.quarantine where {quarantined}"
    ).fetchone()[0]
    if in_quarantine:
        con.execute(f"delete from raw.quarantine where {quarantined}")
    if dropped + in_quarantine:
        con.execute(
            "insert into raw.erasure_drops values (?, ?, now()::timestamp)",
            [source, dropped + in_quarantine],
        )
    return dropped + in_quarantine


def erase_from_published(folder: Path, person: Person, salt: str) -> dict[str, int]:
    """Rewrite every published DuckDB and Parquet file without the person (each replaced
    atomically, as publication does). Guests are published under a salted pseudonym."""
    keys = set(person.keys)
    keys |= {_pseudonym(f"guest:{k}", salt) for k in person.identifiers}
    key_list = "(" + ", ".join(ql(k) for k in sorted(keys)) + ")"
    removed: dict[str, int] = {}
    for path in sorted(folder.rglob("*.duckdb")):
        if path.name.startswith("."):
            continue
        fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        # The same storage format as publication writes, so old BI clients still read it.
        storage = {"storage_compatibility_version": settings.publish_storage_version()}
        try:
            with connect(fresh, config=storage) as con:
                con.execute(f"attach {ql(str(path))} as old (read_only)")
                for schema, table, columns in _tables(con, "old"):
                    where = _where(columns, key_list)
                    source = f"old.{qi(schema)}.{qi(table)}"
                    if schema != "main":
                        con.execute(f"create schema if not exists {qi(schema)}")
                    con.execute(
                        f"create table {qi(schema)}.{qi(table)} as select * from {source}"
                        + (f" where not ({where})" if where else "")
                    )
                    if where:
                        gone = con.execute(f"select count(*) from {source} where {where}")
                        removed[f"{path.name}:{table}"] = gone.fetchone()[0]
                con.execute("detach old")
            os.replace(fresh, path)
        finally:
            fresh.unlink(missing_ok=True)
            Path(f"{fresh}.wal").unlink(missing_ok=True)
    for path in sorted(folder.rglob("*.parquet")):
        if path.name.startswith("."):
            continue
        fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with duckdb.connect() as con:
                columns = [
                    c[0] for c in con.execute(f"describe select * from {ql(str(path))}").fetchall()
                ]
                where = _where(columns, key_list)
                if not where:
                    continue
                gone = con.execute(f"select count(*) from {ql(str(path))} where {where}")
                removed[str(path.relative_to(folder))] = gone.fetchone()[0]
                con.execute(
                    f"copy (select * from {ql(str(path))} where not ({where})) "
                    f"to {ql(str(fresh))} (format parquet)"
                )
            os.replace(fresh, path)
        finally:
            fresh.unlink(missing_ok=True)
    return removed


def scrub_landing(folder: Path, person: Person) -> dict[str, int]:
    """Drop the person's lines from landing text files (gzip too) and rows from Parquet
    files. A changed file is reloaded by the next run, without them."""
    pattern = person.pattern()
    changed: dict[str, int] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            count = _scrub_parquet(path, person)
        else:
            count = _rewrite_lines(path, lambda line: None if pattern.search(line) else line)
        if count:
            changed[str(path.relative_to(folder))] = count
    return changed


def scrub_logs(paths: list[Path], person: Person) -> dict[str, int]:
    """Replace the person's identifiers with `[erased]` in text logs (dbt, runs, failures)."""
    pattern = person.pattern()
    changed: dict[str, int] = {}
    for folder in paths:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        for path in (p for p in files if p.is_file() and not _is_sqlite(p)):
            count = _rewrite_lines(path, lambda line: pattern.sub(ERASED_TEXT.encode(), line))
            if count:
                changed[str(path)] = count
    return changed


def scrub_sqlite(folder: Path, person: Person) -> dict[str, int]:
    """Replace the person's identifiers with `[erased]` in every text column of the Dagster
    instance's SQLite files (event logs, asset and check records), then VACUUM them so the
    old bytes are gone. Identifiers hold no quote or backslash, so JSON stays valid."""
    text_pattern = re.compile(person.pattern().pattern.decode(), re.IGNORECASE)
    changed: dict[str, int] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and _is_sqlite(p)):
        with sqlite3.connect(path) as db:
            db.create_function("scrub", 1, lambda v: text_pattern.sub(ERASED_TEXT, v) if v else v)
            db.create_function("mentions", 1, lambda v: bool(v and text_pattern.search(v)))
            total = 0
            tables = db.execute("select name from sqlite_master where type = 'table'").fetchall()
            for (table,) in tables:
                columns = db.execute(f"pragma table_info({qi(table)})").fetchall()
                textual = ("TEXT", "CHAR", "CLOB")  # TEXT, VARCHAR(n), CHAR, CLOB
                names = [c[1] for c in columns if any(t in (c[2] or "").upper() for t in textual)]
                for column in names:
                    cursor = db.execute(
                        f"update {qi(table)} set {qi(column)} = scrub({qi(column)}) "
                        f"where mentions({qi(column)})"
                    )
                    total += cursor.rowcount
        if total:
            with sqlite3.connect(path) as db:
                db.execute("vacuum")
            changed[str(path)] = total
    return changed


def files_mentioning(folder: Path, person: Person) -> list[Path]:
    """Every file under `folder` in which an identifier of the person still appears
    (gzip files are read decompressed)."""
    pattern = person.pattern()
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            with contextlib.suppress(OSError):
                data = gzip.decompress(data)
        if pattern.search(data):
            found.append(path)
    return found


# -- helpers ---------------------------------------------------------------------------
def _pseudonym(guest_id: str, salt: str) -> str:
    with duckdb.connect() as con:
        value = con.execute(f"select left({hashed('?', ql(salt))}, 16)", [guest_id]).fetchone()
    return f"{PSEUDONYM_PREFIX}{value[0]}"


def _where(columns: list[str], key_list: str) -> str | None:
    conditions = [
        f"lower(trim(cast({qi(c)} as varchar))) in {key_list}"
        for c in columns
        if c in IDENTIFYING_COLUMNS
    ]
    return " or ".join(conditions) or None


def _sql_pattern(person: Person) -> str:
    words = "|".join(re.escape(k) for k in sorted(person.identifiers, key=len)[::-1])
    return f"(?i)(^|[^A-Za-z0-9])({words})($|[^A-Za-z0-9])"


def _tables(con: duckdb.DuckDBPyConnection, database: str | None = None):
    """(schema, table, columns) of every base table of a database (default: the current)."""
    database_sql = ql(database) if database else "current_database()"
    rows = con.execute(
        "select c.schema_name, c.table_name, list(c.column_name order by c.column_index) "
        "from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, "
        f"table_name) where c.database_name = {database_sql} group by all order by all"
    ).fetchall()
    return [(schema, table, list(columns)) for schema, table, columns in rows]


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _rewrite_lines(path: Path, change) -> int:
    """Apply `change` (bytes -> bytes, or None to drop) to every line; replace the file
    atomically when a line changed. Returns how many lines changed."""
    gzipped = path.suffix == ".gz"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as handle:
            lines = handle.read().splitlines(keepends=True)
    except OSError:
        return 0
    result, changed = [], 0
    for line in lines:
        new = change(line)
        if new != line:
            changed += 1
        if new is not None:
            result.append(new)
    if changed:
        fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with opener(fresh, "wb") as handle:
                handle.write(b"".join(result))
            os.replace(fresh, path)
        finally:
            fresh.unlink(missing_ok=True)
    return changed


def _scrub_parquet(path: Path, person: Person) -> int:
    """Rows of a landing Parquet file whose any value names the person, dropped."""
    fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    matches = f"regexp_matches(lower(t::varchar), {ql(_sql_pattern(person))})"
    try:
        with duckdb.connect() as con:
            source = f"read_parquet({ql(str(path))}) t"
            count = con.execute(f"select count(*) from {source} where {matches}").fetchone()[0]
            if count:
                con.execute(
                    f"copy (select t.* from {source} where not {matches}) "
                    f"to {ql(str(fresh))} (format parquet)"
                )
                os.replace(fresh, path)
            return count
    finally:
        fresh.unlink(missing_ok=True)
