"""The CSV preference store (`PreferenceStore`, the default backend of
`trainer.core.preferences.open_store`): data/orpo_dataset_llm.csv, appended to safely by many labelers at once.

    store = PreferenceStore("data/orpo_dataset_llm.csv")
    pair_id = store.append(prompt=p, chosen=a, rejected=b, category="dl_model", source="human")
    store.undo(pair_id)
    with store.locked():                       # reentrant in this thread: several steps, one lock
        ids = store.append_rows([row_a, row_b])  # rows from make_row: one write, all or nothing
        store.remove_judgment(judgment_id)     # every pair of one screen, one rewrite
    view = store.read()        # PreferenceError("...: row 17: empty 'chosen'") on a bad row
    view.counts(), view.labeled_prompts(), view.pair_ids(), view.recent(4), view.triples()
    store.export_csv(dest)     # a consistent copy for training

Durability choices (user labels are precious):
- every append holds `filelock.FileLock(path + ".lock")` (threads and processes), encodes the
  whole row (header too for a new file) first and hands it to a single `os.write` on an O_APPEND
  descriptor, then fsyncs. `load` takes the lock too, so it never sees half a row from a live
  writer.
- A writer killed mid-`write` (SIGKILL can shorten a multi-page write; so can a full disk) leaves a
  torn last row. `load()` ignores it with a logged warning (the file stays loadable); the next
  `append` truncates it under the lock and saves the torn bytes beside the file
  (`<path>.torn-<time>`), so nothing is silently lost. A last row that is complete but merely
  lacks its final newline (a hand edit) is kept, and the next append adds the newline first.
  An unclosed quote in the *last* row looks exactly like a torn write and is treated as one (moved
  aside, never deleted); an unclosed quote earlier in the file raises PreferenceError.
- Each store keeps the bytes it last read and their parse; a read that still starts with those
  bytes parses only the appended rows (an undo or a hand edit changes the prefix: full parse).
- `undo` and the one-time upgrade of an original-project file (unnamed index column, only
  prompt/chosen/rejected) rewrite to a temp file, fsync and `os.replace` under the lock; the
  upgrade keeps a copy of the original as `<path>.orig-<time>`.

"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainer.core.csv_records import CsvFile, CsvFileError, Record, encode_row, encode_rows, parse_csv_bytes
from trainer.core.fileio import append_bytes, atomic_write, os_error_message, utc_stamp
from trainer.core.jsonl import JsonlLog
from trainer.core.preferences import (LOCK_TIMEOUT_S, LockedStore, PreferenceError, PreferenceView, RecordLog,
                                      check_choices, make_row, pair_id_for, row_weight)
from trainer.core.schema import PREFERENCE_COLUMNS as COLUMNS
from trainer.core.schema import PREFERENCE_REQUIRED as REQUIRED
from trainer.core.schema import request_category

log = logging.getLogger(__name__)


def _row_dict(header: list[str], record: Record, name: str) -> dict[str, str]:
    """A stored row as {column: text} with defaults for columns the file lacks; raises on problems."""
    where = f"{name}: row {record.number}: "
    if record.error:
        raise PreferenceError(where + record.error)
    fields = record.fields or []
    if len(fields) != len(header):
        raise PreferenceError(f"{where}expected {len(header)} fields ({', '.join(header)}), found {len(fields)}")
    skip = len(header) - len(_data_header(header))  # the original's index column, if any
    row = dict(zip(header[skip:], fields[skip:]))
    for column in REQUIRED:
        if not row.get(column, "").strip():
            raise PreferenceError(f"{where}empty '{column}'")
    for column, value in row.items():
        if "\x00" in value:
            raise PreferenceError(f"{where}'{column}' contains a NUL character")
    row.setdefault("category", "")
    row["category"] = row["category"] or request_category(row["prompt"])
    row["source"] = row.get("source") or "auto"  # the original project's pairs were all automatic
    row["pair_id"] = row.get("pair_id") or pair_id_for(row["prompt"], row["chosen"], row["rejected"],
                                                       row.get("annotator", ""))
    for column in COLUMNS:
        row.setdefault(column, "")
    check_choices(row, where)
    row_weight(row, where)
    return row


def _data_header(header: list[str]) -> list[str]:
    """The header without the original project's unnamed pandas index column."""
    if header and (header[0] == "" or header[0].startswith("Unnamed")):
        return header[1:]
    return header


def _parse(data: bytes, name: str, known: CsvFile | None = None) -> CsvFile:
    try:
        return parse_csv_bytes(data, name, known=known)
    except CsvFileError as exc:
        raise PreferenceError(str(exc)) from exc


def _check_header(header: list[str], name: str) -> None:
    missing = [c for c in REQUIRED if c not in _data_header(header)]
    if header and missing:
        shown = ", ".join(header[:6]) + (", ..." if len(header) > 6 else "")
        raise PreferenceError(f"{name}: line 1 is not a header (it lacks {', '.join(missing)}; "
                              f"found: {shown}); add the line {','.join(COLUMNS)} at the top")


def _check_rows(parsed: CsvFile, name: str, start: int, ids: dict[str, int]) -> None:
    """What load refuses, append and undo refuse too: every row from `start` must be readable
    and new (`ids`: pair_id -> row number of the rows checked so far, extended here)."""
    for record in parsed.records[start:]:
        row = _row_dict(parsed.header, record, name)
        first = ids.setdefault(row["pair_id"], record.number)
        if first != record.number:
            raise PreferenceError(f"{name}: row {record.number}: the same pair as row {first} "
                                  f"(pair_id {row['pair_id']}); remove one of them")


def _stored_pair_id(header: list[str], record: Record) -> str | None:
    """pair_id of a stored row (computed for rows that lack one); None for an unreadable row."""
    if record.fields is None or len(record.fields) != len(header):
        return None
    row = dict(zip(header, record.fields))
    return row.get("pair_id") or pair_id_for(row.get("prompt", ""), row.get("chosen", ""), row.get("rejected", ""),
                                             row.get("annotator", ""))


# ---------------------------------------------------------------- the CSV store


class PreferenceStore(LockedStore):
    """Appends, undoes and loads preference pairs in one CSV file; safe across threads and processes."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        super().__init__(path, lock_timeout=lock_timeout)
        # The bytes last read and their parse: a later read that still starts with those bytes
        # (appends only) parses just the new rows. Replaced as one tuple, so threads see a pair.
        # With it, the pair_ids of the rows already checked (so an append checks only new rows).
        self._seen: tuple[bytes, CsvFile, dict[str, int]] = (b"", CsvFile([], [], 0), {})

    # -- reading

    def log(self, name: str) -> RecordLog:
        """The record log `name` (a file name such as `label_events.jsonl`) beside the CSV."""
        return JsonlLog(self.path.with_name(name))

    def _read(self) -> tuple[bytes, CsvFile, dict[str, int]]:
        """The file, its parse and its pair_ids (call under the lock), checked as `load` checks it:
        a file `load` refuses raises PreferenceError here, so append and undo never touch it.
        Only bytes appended since the last read are parsed and checked."""
        try:
            data = self.path.read_bytes() if self.path.exists() else b""
        except OSError as exc:
            raise PreferenceError(os_error_message(exc, f"read {self.path}")) from exc
        seen_data, seen, seen_ids = self._seen
        known = seen if seen_data and data.startswith(seen_data) else None
        parsed = _parse(data, self.path.name, known)
        _check_header(parsed.header, self.path.name)
        if parsed.torn_at == 0 and not encode_row(list(COLUMNS)).startswith(data):
            raise PreferenceError(f"{self.path.name}: the file has no complete line and is not a "
                                  "header cut short by an interrupted write; fix it by hand")
        ids = dict(seen_ids) if known is not None else {}
        _check_rows(parsed, self.path.name, len(known.records) if known is not None else 0, ids)
        self._seen = (data, parsed, ids)
        return data, parsed, ids

    def read(self) -> PreferenceView:
        """One read of the file (under the lock; read-only: without it) as plain data;
        PreferenceError on a bad file."""
        with self.reading():
            _data, parsed, _ids = self._read()
        rows = tuple(_row_dict(parsed.header, record, self.path.name) for record in parsed.records)
        columns = COLUMNS + tuple(c for c in _data_header(parsed.header) if c not in COLUMNS)
        return PreferenceView(rows, columns)

    def export_csv(self, dest: str | os.PathLike[str]) -> Path:
        """Copy the file to `dest` under the lock (training reads the copy; labeling goes on)."""
        if not self.path.is_file():
            raise PreferenceError(f"{self.path} does not exist; label some pairs or run `diagramlab bootstrap` first")
        with self.reading():
            shutil.copyfile(self.path, dest)
        return Path(dest)

    # -- writing

    def stored_ids(self) -> frozenset[str]:
        """The pair_ids in the file (one locked read; cheap after the first: only new rows parse)."""
        with self.reading():
            return frozenset(self._read()[2])

    def append_rows(self, pairs: list[Mapping[str, Any]]) -> list[str]:
        """Validate and append several pairs (dicts of prompt, chosen, rejected and metadata
        columns) in one write: all of them or, on any problem, none. Returns their pair_ids; a
        pair already stored (or given twice) is refused."""
        if not pairs:
            return []
        lock = self._lock()
        self._acquire(lock)
        try:
            data, parsed, ids = self._read()
            header = _data_header(parsed.header)
            extra = tuple(c for c in header if c not in COLUMNS)
            rows, batch = [], set()
            for pair in pairs:
                meta = {k: v for k, v in pair.items() if k not in REQUIRED}
                row = make_row(pair.get("prompt"), pair.get("chosen"), pair.get("rejected"), meta, extra)
                if row["pair_id"] in ids:
                    raise PreferenceError(
                        f"this pair is already stored ({self.path.name} row {ids[row['pair_id']]}, "
                        f"pair_id {row['pair_id']}); nothing was written")
                if row["pair_id"] in batch:
                    raise PreferenceError(f"pair_id {row['pair_id']} is given twice; nothing was written")
                batch.add(row["pair_id"])
                rows.append(row)
            if parsed.torn_at is not None:
                self._move_torn_tail(data, parsed.torn_at)
                data = data[: parsed.torn_at]
                parsed = _parse(data, self.path.name)
            if parsed.header and (header != parsed.header or set(COLUMNS) - set(header)):
                parsed = self._upgrade(parsed)
            payload = b"\n" if parsed.needs_newline else b""
            if not parsed.header:
                parsed = CsvFile(list(COLUMNS), [], 0)
                payload += encode_row(list(COLUMNS))
            payload += encode_rows(parsed.header, rows, header=False)
            self._write_all(payload)
        finally:
            lock.release()
        return [row["pair_id"] for row in rows]

    def remove_judgment(self, judgment_id: str) -> list[str]:
        """Remove every row derived from this judgment in one rewrite (temp file + fsync +
        os.replace, under the lock); returns the removed pair_ids (empty: nothing matched, the
        file is left alone)."""
        if not judgment_id:
            raise PreferenceError("no judgment_id given; nothing was removed")
        lock = self._lock()
        self._acquire(lock)
        try:
            data, parsed, _ids = self._read()
            removed, kept, start = [], [], 0
            for record in parsed.records:
                row = _row_dict(parsed.header, record, self.path.name)
                if row.get("judgment_id") == judgment_id:
                    kept.append(data[start : record.start])
                    start = record.end
                    removed.append(row["pair_id"])
            if removed:
                self._replace(b"".join(kept) + data[start:])
            return removed
        finally:
            lock.release()

    def undo(self, pair_id: str) -> None:
        """Remove the row with this pair_id (temp file + fsync + os.replace, under the lock). A pair
        derived from a judgment is refused: `JudgmentStore.undo` takes back the whole judgment."""
        lock = self._lock()
        self._acquire(lock)
        try:
            data, parsed, _ids = self._read()
            for record in parsed.records:
                if _stored_pair_id(parsed.header, record) == pair_id:
                    judgment = dict(zip(parsed.header, record.fields or [])).get("judgment_id")
                    if judgment:  # its judgment would bring it back (JudgmentStore.repair)
                        raise PreferenceError(f"{self.path.name}: pair {pair_id} belongs to judgment {judgment}; "
                                              "undo the judgment (all its pairs) instead; nothing was removed")
                    self._replace(data[: record.start] + data[record.end :])
                    return
            raise PreferenceError(f"{self.path.name}: no pair with pair_id {pair_id!r}; nothing was removed")
        finally:
            lock.release()

    def _write_all(self, payload: bytes) -> None:
        # One os.write on an O_APPEND descriptor (fileio.append_bytes): the row lands whole or
        # (killed mid-write) as a torn tail that load() ignores and the next append moves aside.
        # A failed write (disk full) is cut back off, so the file stays as it was.
        try:
            append_bytes(self.path, payload)
        except OSError as exc:
            raise PreferenceError(os_error_message(exc, f"save the pair to {self.path.name}")) from exc

    def _replace(self, data: bytes) -> None:
        try:
            atomic_write(self.path, data)
        except OSError as exc:
            raise PreferenceError(os_error_message(exc, f"rewrite {self.path.name}")) from exc

    def _stamp(self, kind: str) -> Path:
        return self.path.with_name(f"{self.path.name}.{kind}-{utc_stamp()}")

    def _move_torn_tail(self, data: bytes, offset: int) -> None:
        aside = self._stamp("torn")
        try:
            aside.write_bytes(data[offset:])
            os.truncate(self.path, offset)
        except OSError as exc:  # disk full: leave no empty side file behind, the file unchanged
            aside.unlink(missing_ok=True)
            raise PreferenceError(os_error_message(exc, f"move the torn last row of {self.path.name} aside")) from exc
        log.warning("%s: moved an incomplete last row (%d bytes) to %s", self.path, len(data) - offset, aside)

    def _upgrade(self, parsed: CsvFile) -> CsvFile:
        """Rewrite an original-project (or older) file with the full header; keeps a copy first."""
        rows = [_row_dict(parsed.header, record, self.path.name) for record in parsed.records]
        header = list(COLUMNS) + [c for c in _data_header(parsed.header) if c not in COLUMNS]
        backup = self._stamp("orig")
        shutil.copy2(self.path, backup)
        data = encode_rows(header, rows)
        self._replace(data)
        log.warning("%s: upgraded to the full column set (original kept as %s)", self.path, backup)
        return _parse(data, self.path.name)
