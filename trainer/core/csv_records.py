"""Byte-level reading of a CSV file written by appends: records with byte spans, torn tails.

`parse_csv_bytes(data, name)` splits a file into its header and records, each with its byte span
(so one row can be removed exactly) and its 1-based row number (so a broken row can be named),
and classifies the end of the file: complete, a last row lacking only its newline (a hand edit),
or a torn row (a writer killed mid-write), which is reported and left out. Quotes toggle the
"inside a field" state, which is exact for files written by the csv module or pandas; anything
the splitter gets wrong is caught by parsing each record strictly with the csv module.
Used by trainer.core.preferences.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


class CsvFileError(ValueError):
    """The file's structure is damaged beyond one row (unreadable header, quote never closed)."""


@dataclass(frozen=True)
class Record:
    """One data row: its number, byte span and fields (or the problem that stops reading it)."""

    number: int  # 1-based data row number (header excluded)
    start: int  # byte span in the file
    end: int
    fields: list[str] | None  # None when `error` is set
    error: str = ""


@dataclass(frozen=True)
class CsvFile:
    """A CSV file split into header + records, with the state of its end."""

    header: list[str]
    records: list[Record]
    size: int
    torn_at: int | None = None  # byte offset of a torn last row, if any
    needs_newline: bool = False  # last row complete but without its final newline


def _record_spans(data: bytes) -> tuple[list[tuple[int, int]], int]:
    """Spans of newline-terminated records (quotes toggle; doubled quotes toggle twice) + tail start."""
    spans, start, pos, inside = [], 0, 0, False
    for segment in data.split(b'"'):
        if not inside:
            nl = segment.find(b"\n")
            while nl >= 0:
                spans.append((start, pos + nl + 1))
                start = pos + nl + 1
                nl = segment.find(b"\n", nl + 1)
        pos += len(segment) + 1
        inside = not inside
    return spans, start


def _csv_rows(text: str, strict: bool) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=strict))


def _decode(blob: bytes, number: int) -> str:
    try:
        return blob.decode("utf-8-sig" if number == 0 else "utf-8")
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"row {number}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _parse_record(blob: bytes, number: int) -> Record | None:
    """One record's fields, None for a blank line, or a Record carrying the problem."""
    try:
        rows = _csv_rows(_decode(blob, number), strict=True)
    except (csv.Error, CsvFileError) as exc:
        return Record(number, 0, 0, None, f"broken quoting or encoding ({exc})")
    rows = [r for r in rows if r]
    if not rows:
        return None
    if len(rows) > 1:
        if b"\r" in blob.rstrip(b"\n").rstrip(b"\r"):
            return Record(number, 0, 0, None, "a bare CR inside the row (mixed line endings?)")
        return Record(number, 0, 0, None, "broken quoting (a quote inside an unquoted field?)")
    return Record(number, 0, 0, rows[0])


def _classify_tail(tail: bytes, ncols: int) -> str:
    """'none', 'complete' (no final newline), 'torn' (writer killed mid-row) or 'corrupt'.

    Appends write every field quoted (encode_row), so a torn row is a prefix of such a row;
    anything else incomplete (a hand edit, or a deleted quote earlier that shifted where rows
    seem to end) is 'corrupt' and never repaired automatically.
    """
    if not tail.strip():
        return "none"
    rows = _csv_rows(tail.decode("utf-8", errors="replace"), strict=False)
    if len([r for r in rows if r]) > 1:
        return "corrupt"  # an unbalanced quote earlier swallowed several rows: not a torn write
    if tail.count(b'"') % 2 == 0 and not tail.rstrip(b"\r").endswith(b","):
        if rows and len(rows[0]) == ncols:
            return "complete"
    return "torn" if is_quoted_row_prefix(tail) else "corrupt"


def is_quoted_row_prefix(blob: bytes) -> bool:
    """Whether `blob` is a prefix of a row encode_row could write ("a","b""c",...), cut anywhere."""
    i, n = 0, len(blob)
    while i < n:
        if blob[i : i + 1] != b'"':
            return False
        i += 1
        while True:  # inside a quoted field: '""' is an escaped quote, '"' alone closes it
            j = blob.find(b'"', i)
            if j < 0 or j + 1 == n:
                return True  # cut inside the field or right after a quote
            if blob[j + 1 : j + 2] != b'"':
                i = j + 1
                break
            i = j + 2
        if blob[i : i + 1] != b",":
            return False
        i += 1
    return True


def _check_line_endings(data: bytes, first_line_end: int, name: str) -> None:
    """CR-only (classic Mac) line endings would read as one endless header line: refuse them."""
    first = data[:first_line_end].rstrip(b"\n").rstrip(b"\r")
    if b"\r" in first:
        raise CsvFileError(f"{name}: line 1 ends with a bare CR (classic Mac line endings); "
                           "convert the file to LF or CRLF line endings (nothing was changed)")


def _fast_records(data: bytes, spans: list[tuple[int, int]], before: int = 0) -> list[Record] | None:
    """All records in one csv pass (numbered after `before` earlier ones); None when anything is
    off (then _slow_records finds the row)."""
    if not spans:
        return []
    try:
        rows = _csv_rows(data[spans[0][0] : spans[-1][1]].decode("utf-8"), strict=True)
    except (csv.Error, UnicodeDecodeError):
        return None
    if len(rows) != len(spans) or not all(rows):  # blank lines or a mis-split: go row by row
        return None
    return [Record(n, start, end, fields)
            for n, ((start, end), fields) in enumerate(zip(spans, rows), before + 1)]


def _slow_records(data: bytes, spans: list[tuple[int, int]], before: int = 0) -> list[Record]:
    """Record by record, so a broken one is reported with its row number."""
    records: list[Record] = []
    for start, end in spans:
        number = before + len(records) + 1
        parsed = _parse_record(data[start:end], number)
        if parsed is not None:
            records.append(Record(number, start, end, parsed.fields, parsed.error))
    return records


def parse_csv_bytes(data: bytes, name: str, *, known: CsvFile | None = None) -> CsvFile:
    """Split the file into header + records; structural damage raises, row problems are recorded.

    `known`: the result for an earlier state of the same file whose bytes `data` still starts with
    (the caller checks that). When it ended cleanly (a header, no torn or newline-less last row),
    only the bytes after it are split and parsed: appends cost the new rows, not the whole file.
    """
    if (known is not None and known.header and known.torn_at is None and not known.needs_newline
            and data[known.size - 1 : known.size] == b"\n"):
        return _parse_after(data, name, known)
    spans, tail_start = _record_spans(data)
    _check_line_endings(data, spans[0][1] if spans else len(data), name)
    kind = _classify_tail(data[tail_start:], 0) if not spans else "none"
    if not spans:  # no complete line at all: empty file, or a header cut short
        if kind != "none":
            log.warning("%s: the header line is incomplete; treating the file as empty", name)
        return CsvFile([], [], len(data), torn_at=0 if data else None)
    header_row = _parse_record(data[spans[0][0] : spans[0][1]], 0)
    if header_row is None or header_row.fields is None:
        raise CsvFileError(f"{name}: the header line is unreadable")
    header = header_row.fields
    kind = _end_kind(data, spans, tail_start, len(header))
    records = _fast_records(data, spans[1:]) or _slow_records(data, spans[1:])
    _refuse_corrupt(kind, records, name, data, tail_start, len(spans))
    return _finish(name, header, records, data, tail_start, kind)


def _parse_after(data: bytes, name: str, known: CsvFile) -> CsvFile:
    """parse_csv_bytes for `data` = the bytes `known` was parsed from (ending on a record boundary,
    so outside any quote) + appended bytes: only the appended part is split and parsed."""
    start = known.size
    spans, tail_start = _record_spans(data[start:])
    spans = [(a + start, b + start) for a, b in spans]
    tail_start += start
    kind = _end_kind(data, spans, tail_start, len(known.header))
    before = len(known.records)
    new = _fast_records(data, spans, before) or _slow_records(data, spans, before)
    _refuse_corrupt(kind, new, name, data, tail_start, before + len(spans) + 1)
    return _finish(name, known.header, known.records + new, data, tail_start, kind)


def _end_kind(data: bytes, spans: list[tuple[int, int]], tail_start: int, ncols: int) -> str:
    """Classify the bytes after the last newline (see _classify_tail); a complete row there joins
    `spans`."""
    kind = _classify_tail(data[tail_start:], ncols)
    if kind == "complete":
        spans.append((tail_start, len(data)))
    return kind


def _refuse_corrupt(kind: str, records: list[Record], name: str, data: bytes, tail_start: int,
                    row: int) -> None:
    """A corrupt end raises. A quote opened and never closed shows at the end of the file but
    starts earlier: name the first row that does not parse (where the damage begins) if any."""
    if kind != "corrupt":
        return
    bad = next((r for r in records if r.error), None)
    if bad is not None:
        raise CsvFileError(f"{name}: row {bad.number}: {bad.error}; the rows after it cannot be "
                           "read either; fix the file by hand (nothing was changed)")
    line = data.count(b"\n", 0, tail_start) + 1
    raise CsvFileError(f"{name}: row {row} (line {line}): a quote is opened and never closed, or the "
                       "last row is cut short by hand; fix the file by hand (nothing was changed)")


def _finish(name: str, header: list[str], records: list[Record], data: bytes, tail_start: int, kind: str) -> CsvFile:
    if kind == "torn":
        log.warning("%s: the last row (row %d) is incomplete, probably from a writer killed mid-write; "
                    "it is ignored and will be moved aside on the next append", name, len(records) + 1)
    return CsvFile(header, records, len(data), tail_start if kind == "torn" else None, kind == "complete")


def encode_row(values: list[Any]) -> bytes:
    """One CSV line, every field quoted, newline-terminated, UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


def encode_rows(columns: list[str] | tuple[str, ...], rows: Iterable[Mapping[str, Any]], *,
                header: bool = True) -> bytes:
    """The one row encoder of the store's CSVs: the header line (unless `header=False`) then each
    row's values in `columns` order ("" for a column a row lacks), every field quoted."""
    columns = list(columns)
    head = encode_row(columns) if header else b""
    return head + b"".join(encode_row([row.get(c, "") for c in columns]) for row in rows)
