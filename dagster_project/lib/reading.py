"""Reading landing text files (CSV with the declared dialect, JSON lines) one broken line
at a time.

DuckDB reads a clean file fast, but it cannot tell which physical line a row came from
once a line is rejected, and one unterminated quote makes it swallow every line up to
the next quote. So a file is first read by DuckDB with the declared dialect (no
sniffing); when every line became exactly one row, that is the result. Otherwise the
file is split here, line by line: each line the declared dialect cannot read (a byte
invalid in the declared encoding, an unterminated quote, too many or too few fields)
is rejected alone with its reason, and the good records are rewritten to a clean UTF-8
file that carries each record's line number, which DuckDB then reads.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .sources import CsvOptions, MappingError

# DuckDB reads these itself (by these names), and their line ends are single bytes (so
# lines can be counted); any other encoding Python knows is read line by line here.
FAST_ENCODINGS = {codecs.lookup(e).name: e for e in ("utf-8", "latin-1")}
# A quoted field may span lines; a quote still open after this many lines is a broken line.
MAX_RECORD_LINES = 100
LINE_COLUMN = "_file_line"  # the line-number column of a rewritten clean file

BAD_ENCODING = "bad encoding: bytes that are not valid in the declared encoding"
UNTERMINATED_QUOTE = "unterminated quote"
MALFORMED_QUOTING = "malformed quoting"
TOO_MANY_COLUMNS = "wrong number of columns (too many)"
TOO_FEW_COLUMNS = "wrong number of columns (too few)"

_UNDECODABLE = re.compile("[\udc80-\udcff]")
BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class RejectedLine:
    line: int
    raw_text: str
    reason: str


@dataclass
class SplitFile:
    """A file split line by line: the clean records' file and the rejected lines."""

    clean_path: Path
    records: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)


def open_bytes(path: str) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzipped."""
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")  # noqa: SIM115


def open_text(path: str, encoding: str) -> IO[str]:
    """The file as text; bytes invalid in `encoding` become lone surrogates, not errors."""
    raw = open_bytes(path)
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


def shown(line: str) -> str:
    """A line as text for the quarantine: an undecodable byte as `\\x81`, no line end."""
    text = line.rstrip("\r\n")
    return _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def undecodable(line: str) -> bool:
    return _UNDECODABLE.search(line) is not None


def duckdb_encoding(path: str, options: CsvOptions) -> str | None:
    """The encoding's name for DuckDB when DuckDB reads the file itself first (it can
    decode it and its lines can be counted); None when it is read line by line here."""
    if "://" in path:
        return None
    return FAST_ENCODINGS.get(codecs.lookup(options.encoding).name)


def count_lines(path: str) -> int:
    """Physical lines of a file (a last line without a line end counts)."""
    opener = gzip.open if path.endswith(".gz") else open
    lines, last = 0, b"\n"
    with opener(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


class Dialect:
    """The declared dialect, as Python's csv module reads it (strictly)."""

    def __init__(self, options: CsvOptions) -> None:
        self.options = options
        quote = options.quote or None
        escape = options.escape if options.escape not in (None, "", options.quote) else None
        self.quote = quote
        self.kwargs = {
            "delimiter": options.delimiter,
            "quotechar": quote,
            "escapechar": escape,
            "doublequote": escape is None,
            "quoting": csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
            "strict": True,
        }

    def parse(self, text: str) -> tuple[list[str] | None, str | None]:
        """(fields, None), or (None, reason) when the text is not one well-formed record."""
        if not text.strip("\r\n"):
            return [], None
        plain = self.quote is None or self.quote not in text
        if plain and self.kwargs["escapechar"] is None:
            return text.rstrip("\r\n").split(self.options.delimiter), None
        try:
            records = list(csv.reader([text], **self.kwargs))
        except csv.Error as exc:
            return None, UNTERMINATED_QUOTE if "end of data" in str(exc) else MALFORMED_QUOTING
        return (records[0] if records else []), None


def _lines(path: str, options: CsvOptions) -> Iterator[tuple[int, str]]:
    with open_text(path, options.encoding) as handle:
        yield from enumerate(handle, start=1)


def column_names(path: str, options: CsvOptions) -> list[str]:
    """The header's names, or DuckDB's `column0`... for a file without a header."""
    dialect = Dialect(options)
    first_data = options.skip_lines + (1 if options.header else 0)
    samples: list[list[str]] = []
    for number, line in _lines(path, options):
        if number <= options.skip_lines:
            continue
        if options.header and number == options.skip_lines + 1:
            fields, _ = dialect.parse(line)
            names = [n.strip() for n in fields or [line.strip()]]
            names[0] = names[0].lstrip(BYTE_ORDER_MARK)  # Excel's UTF-8 files start with one
            return _unique([n or f"column{i}" for i, n in enumerate(names)])
        fields, _ = dialect.parse(line)
        if fields and not undecodable(line):
            samples.append(fields)
        if number > first_data + 100:
            break
    if not samples:
        return ["column0"]
    width = Counter(len(f) for f in samples).most_common(1)[0][0]
    digits = len(str(width - 1))
    return [f"column{i:0{digits}d}" for i in range(width)]


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name.lower()] += 1
        unique.append(name if seen[name.lower()] == 1 else f"{name}_{seen[name.lower()] - 1}")
    return unique


def check_encoding(path: str, options: CsvOptions, display: str, label: str) -> None:
    """Most of the first lines undecodable (or the first one): the declared encoding is wrong."""
    bad, total = [], 0
    for number, line in _lines(path, options):
        if number > 200:
            break
        total = number
        if undecodable(line):
            bad.append(number)
    if bad and (bad[0] == 1 or len(bad) * 2 > total):
        raise MappingError(
            f"{display}: {len(bad)} of the first {total} lines (line {bad[0]} first) are not "
            f"valid {options.encoding}. {encoding_advice(path, label)}"
        )


def encoding_advice(path: str, label: str) -> str:
    """What to set for a file the declared encoding cannot read: UTF-16 (a byte order mark,
    or a NUL byte beside most characters: Excel's "Unicode text"), else Windows' cp1252."""
    with open_bytes(path) as handle:
        head = handle.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(b"\x00") * 4 > len(head):
        return (
            'It looks like UTF-16 (Excel\'s "Unicode text"): set '
            f"`csv: {{encoding: utf-16}}` for {label} in sources.yml."
        )
    return (
        "If the file comes from Excel or a Windows till, set "
        f"`csv: {{encoding: cp1252}}` for {label} in sources.yml."
    )


def split(path: str, options: CsvOptions, width: int, clean_path: Path) -> SplitFile:
    """Rewrite the good records to `clean_path` (line number first); reject the others."""
    dialect = Dialect(options)
    result = SplitFile(clean_path)
    first_data = options.skip_lines + (1 if options.header else 0) + 1
    clean_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open_text(path, options.encoding) as handle,
        open(clean_path, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        lines = _Lookahead(enumerate(handle, start=1))
        while (item := lines.next()) is not None:
            number, line = item
            if number == 1:
                line = line.lstrip(BYTE_ORDER_MARK)
            if number < first_data or not line.strip("\r\n"):
                continue  # header, skipped lines and blank lines are no records
            if undecodable(line):
                result.rejected.append(RejectedLine(number, shown(line), BAD_ENCODING))
                continue
            fields, reason = dialect.parse(line)
            if reason == UNTERMINATED_QUOTE:
                fields = _multi_line_record(dialect, line, lines, width)
            if fields is None:
                result.rejected.append(RejectedLine(number, shown(line), reason))
            elif len(fields) != width:
                too = TOO_MANY_COLUMNS if len(fields) > width else TOO_FEW_COLUMNS
                result.rejected.append(RejectedLine(number, shown(line), too))
            else:
                writer.writerow([number, *fields])
                result.records += 1
    return result


class _Lookahead:
    """Numbered lines with the ability to read ahead and give lines back."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self.lines, self.pending = lines, deque()

    def next(self) -> tuple[int, str] | None:
        return self.pending.popleft() if self.pending else next(self.lines, None)

    def give_back(self, items: list[tuple[int, str]]) -> None:
        self.pending.extendleft(reversed(items))


def _multi_line_record(
    dialect: Dialect, first: str, lines: _Lookahead, width: int
) -> list[str] | None:
    """A quoted field that legitimately spans lines, else None (the following lines are
    given back, so an unterminated quote costs its own line only)."""
    quote = dialect.quote or ""
    text, quotes, used = first, first.count(quote), []
    while len(used) < MAX_RECORD_LINES and (item := lines.next()) is not None:
        used.append(item)
        if undecodable(item[1]):
            break
        text += item[1]
        quotes += item[1].count(quote)
        if quotes % 2:
            continue  # still open
        fields, reason = dialect.parse(text)
        if reason == UNTERMINATED_QUOTE:
            continue
        if fields is not None and len(fields) == width:
            return fields
        break
    lines.give_back(used)
    return None


def split_lines(path: str, clean_path: Path) -> SplitFile:
    """A JSON-lines file (UTF-8) rewritten as (line number, line) records, each line
    undecodable in UTF-8 rejected; JSON validity is checked later, line by line."""
    result = SplitFile(clean_path)
    clean_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open_text(path, "utf-8") as handle,
        open(clean_path, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        for number, line in enumerate(handle, start=1):
            if not line.strip("\r\n"):
                continue
            if undecodable(line):
                result.rejected.append(RejectedLine(number, shown(line), BAD_ENCODING))
                continue
            writer.writerow([number, line.rstrip("\r\n")])
            result.records += 1
    return result
