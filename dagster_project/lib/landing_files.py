"""Which landing files a source has, how each is named in the warehouse, and what its
content is (a hash, and its line count from the same read); the listing of a set of files,
cheap enough for a sensor or a schedule to compare every tick."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from .sources import InputSpec, SourceConfig


@dataclass(frozen=True)
class Fingerprint:
    """A file's content hash; `lines` its physical lines when counted while hashing (a
    local uncompressed file), else None."""

    digest: str
    lines: int | None = None


def list_files(config: SourceConfig, data_root: Path) -> list[tuple[InputSpec, str]]:
    """The files each input's glob matches (relative globs are under the data directory)."""
    files: list[tuple[InputSpec, str]] = []
    for spec in config.inputs:
        pattern = spec.path
        if "://" not in pattern and not os.path.isabs(pattern):
            pattern = str(data_root / pattern)
        matches = sorted(glob.glob(pattern, recursive=True)) if "://" not in pattern else [pattern]
        files += [(spec, m) for m in matches if "://" in m or os.path.isfile(m)]
    return files


def listing_fingerprint(paths: Iterable[str]) -> str | None:
    """A hash of the files' names, sizes and modification times (an object-store URL by its
    name alone): it changes when a file is added, removed, replaced or rewritten. None
    when there is no file."""
    digest, files = hashlib.sha256(), 0
    for path in paths:
        if "://" in path:
            digest.update(f"{path}\n".encode())
        else:
            stat = os.stat(path)
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        files += 1
    return digest.hexdigest() if files else None


def sources_listing(configs: Iterable[SourceConfig], data_root: Path) -> str | None:
    """`listing_fingerprint` of every file the sources' inputs match."""
    return listing_fingerprint(
        path for config in configs for _spec, path in list_files(config, data_root)
    )


def display_path(path: str, data_root: Path) -> str:
    """The name a file has in the manifest, quarantine and lineage columns."""
    try:
        return str(Path(path).resolve().relative_to(data_root))
    except ValueError:
        return path


def fingerprint(con: duckdb.DuckDBPyConnection, path: str) -> Fingerprint:
    """Content hash of a local file (and its line count, from the same read); size and
    modification time for object-store URLs."""
    if "://" in path:
        size, modified = con.execute(
            "select size, last_modified from read_blob(?)", [path]
        ).fetchone()
        return Fingerprint(f"{size}:{modified}")
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    counted = None if path.endswith(".gz") else lines + (last != b"\n")
    return Fingerprint(digest.hexdigest(), counted)


def identity(content: Fingerprint, spec: InputSpec) -> str:
    """What the manifest and the rows' `_file_hash` record of a file: its content as the
    input's mapping reads it (formats, columns, encoding, filter, plausible dates...). A file
    read under another mapping, say after its date format was fixed in sources.yml, is
    loaded again; the input's glob and position are left out (moving it changes no row)."""
    mapping = repr(replace(spec, number=0, path=""))
    return hashlib.sha256(f"{content.digest}\n{mapping}".encode()).hexdigest()
