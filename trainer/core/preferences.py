"""The preference store's rows and protocol: what every backend validates, returns and implements.

Columns: `prompt, chosen, rejected` (TRL's names, first) then metadata (`category, source,
annotator, model, candidate_ids, created_at, pair_id`) and the labeler's optional columns
(`positions, sampling, decision_seconds, judgment_id, weight`). Unknown extra columns of an existing
file are kept. `weight` is a pair's share of its screen (`trainer.core.judgments.derive_pairs`); empty
(every row of an older file) reads as 1 (`row_weight`). A labeled screen's pairs are written by
`trainer.core.judgment_store.JudgmentStore`, which keeps the judgment itself beside this file and uses
`locked()`, `append_rows` and `remove_judgment` under one lock.

The interface the rest of the project uses is plain data: `append`, `undo`, `read()` (one read
of the file as a `PreferenceView`: rows as dicts, no pandas), `export_csv(dest)`, and for the
judgments journal `locked()`, `append_rows`, `remove_judgment`, `stored_ids`, plus `log(name)`
(the label events and overlap tasks): `PreferenceBackend`, the one protocol every backend
implements; `open_store(location)` is the only place one is chosen (the CSV file,
`trainer.core.csv_store.PreferenceStore`, the default; SQLite in `trainer.core.sqlite_store`).
`load()` (a pandas DataFrame) is a convenience for scripts and tests, built from `read()`. A read in a read-only data dir goes on without the lock
(its file cannot be created there; nobody can be writing). A caller reads once per request and
asks the view. A pair's identity (`pair_id`) is its canonical prompt, both answers and its
annotator, so two annotators' identical judgments are two pairs; one annotator's repeat is refused.

Here: the row rules (`make_row`, `pair_id_for`, `row_weight`, `PreferenceError`), `PreferenceView`, the
`RecordLog` and `PreferenceBackend` protocols, `LockedStore` (the lock and conveniences every
backend shares) and `open_store`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from filelock import FileLock, Timeout

from diagram.prompt import canonical_prompt
from trainer.core.fileio import file_lock, os_error_message, utc_now
from trainer.core.jsonl import Cursor, JsonlLog
from trainer.core.schema import CATEGORIES, SOURCES, request_category
from trainer.core.schema import PREFERENCE_COLUMNS as COLUMNS

MAX_TEXT_CHARS = 20_000  # prompt / chosen / rejected
MAX_META_CHARS = 4_000  # any metadata value
LOCK_TIMEOUT_S = 60.0
_UNWRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})

log = logging.getLogger(__name__)


class PreferenceError(ValueError):
    """A preference pair or the preference file is unusable; the message says what and where."""


def pair_id_for(prompt: str, chosen: str, rejected: str, annotator: str = "") -> str:
    """Stable id of a pair: the first 16 hex digits of sha256 over the three texts and the
    annotator (left out when empty, so pairs without one keep the ids they always had).

    The prompt counts in its canonical wording, so a pair imported in the original data's
    wording has the same id as the same pair labeled here.
    """
    texts = [canonical_prompt(prompt), chosen, rejected] + ([annotator] if annotator else [])
    blob = json.dumps(texts, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- rows: validate and normalise


def _text(value: Any, column: str, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, sort_keys=True)
    elif isinstance(value, float):
        value = f"{value:.3f}"
    value = str(value)
    if len(value) > limit:
        raise PreferenceError(f"'{column}' is {len(value)} characters long; the limit is {limit}")
    if "\x00" in value:
        raise PreferenceError(f"'{column}' contains a NUL character")
    return value


def format_weight(weight: float) -> str:
    """A weight as stored in the CSV: up to 12 significant digits ("0.2", "0.333333333333", "1")."""
    return f"{float(weight):.12g}"


def row_weight(row: Mapping[str, str], where: str = "") -> float:
    """A stored row's weight: its `weight` column, 1 when empty or absent; PreferenceError
    (prefixed with `where`) when it is not a finite number >= 0."""
    text = (row.get("weight") or "").strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0:
        raise PreferenceError(f"{where}'weight' is {text!r}; it must be a number >= 0 (empty means 1)")
    return value


def make_row(prompt: str, chosen: str, rejected: str, metadata: dict[str, Any], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Validate one new pair; returns every column as text (pair_id and created_at filled in)."""
    row = {}
    for column, value in (("prompt", prompt), ("chosen", chosen), ("rejected", rejected)):
        if not isinstance(value, str) or not value.strip():
            raise PreferenceError(f"'{column}' is empty; a preference pair needs a prompt and two answers")
        row[column] = _text(value, column, MAX_TEXT_CHARS)
    if chosen.strip() == rejected.strip():
        raise PreferenceError("'chosen' and 'rejected' are the same diagram; there is no preference to learn")
    unknown = sorted(set(metadata) - set(COLUMNS) - set(extra))
    if unknown:
        raise PreferenceError(f"unknown column(s) {unknown}; known: {list(COLUMNS)}")
    for column, value in metadata.items():
        row[column] = _text(value, column, MAX_META_CHARS)
    row["category"] = row.get("category") or request_category(prompt)
    row["source"] = row.get("source") or "human"
    row["created_at"] = row.get("created_at") or utc_now()
    row["pair_id"] = pair_id_for(prompt, chosen, rejected, row.get("annotator", ""))
    check_choices(row, "")
    row_weight(row)
    return row


def check_choices(row: dict[str, str], where: str) -> None:
    if row.get("category") not in CATEGORIES:
        raise PreferenceError(f"{where}category {row.get('category')!r} is not one of {list(CATEGORIES)}")
    if row.get("source") not in SOURCES:
        raise PreferenceError(f"{where}source {row.get('source')!r} is not one of {list(SOURCES)}")


# ---------------------------------------------------------------- what readers get


@dataclass(frozen=True)
class PreferenceView:
    """One read of the store: every row as {column: text} in file order (COLUMNS first, then a
    file's extra columns). Ask it as often as needed; it never touches the file."""

    rows: tuple[Mapping[str, str], ...]
    columns: tuple[str, ...] = COLUMNS

    def __len__(self) -> int:
        return len(self.rows)

    def pair_ids(self) -> frozenset[str]:
        return frozenset(row["pair_id"] for row in self.rows)

    def labeled_prompts(self) -> frozenset[str]:
        """The prompts (as stored) that have at least one pair."""
        return frozenset(row["prompt"] for row in self.rows)

    def counts(self) -> dict[str, dict[str, int]]:
        """{category: {source: pairs}} with every category and source present (zeros included)."""
        counts = {category: dict.fromkeys(SOURCES, 0) for category in CATEGORIES}
        for row in self.rows:
            counts[row["category"]][row["source"]] += 1
        return counts

    def recent(self, n: int) -> list[dict[str, str]]:
        """The last `n` pairs, newest first."""
        return [dict(row) for row in reversed(self.rows[-n:])] if n > 0 else []

    def triples(self) -> list[tuple[str, str, str]]:
        """(prompt, chosen, rejected) of every pair, in file order."""
        return [(row["prompt"], row["chosen"], row["rejected"]) for row in self.rows]

    def weights(self) -> list[float]:
        """Every pair's weight (1 for rows without one), in file order."""
        return [row_weight(row) for row in self.rows]

    def judgment_ids(self) -> dict[str, list[str]]:
        """{judgment_id: its pair_ids in file order} for the rows derived from a judgment."""
        out: dict[str, list[str]] = {}
        for row in self.rows:
            if row.get("judgment_id"):
                out.setdefault(row["judgment_id"], []).append(row["pair_id"])
        return out


class RecordLog(Protocol):
    """An append-only log of JSON records kept by a store (`PreferenceBackend.log(name)`): the
    label events and the overlap tasks. The CSV store keeps each as a JSON-lines file beside it
    (`trainer.core.jsonl.JsonlLog`), SQLite as rows of its `records` table."""

    def locked(self) -> contextlib.AbstractContextManager[Any]: ...

    def append(self, items: Iterable[Mapping[str, Any]]) -> None: ...

    def read(self) -> list[dict[str, Any]]: ...

    def read_new(self, cursor: Cursor | None = None) -> tuple[list[dict[str, Any]], Cursor]: ...


class PreferenceBackend(Protocol):
    """The one store protocol: what the labeler, the judgments journal, bootstrap, rounds and
    training need from a preference store. `open_store(location)` is the only place a backend is
    chosen: `PreferenceStore` (the CSV file, the default and the training artifact) or
    `trainer.core.sqlite_store.SqliteStore` (a `.sqlite` / `.db` location). Every backend passes the same
    tests (tests/test_preferences.py, tests/test_judgment_store.py, tests/test_store_backends.py).
    The judgments journal (`trainer.core.judgment_store.JudgmentStore`) lives beside `path` and writes
    its pairs through `locked()` + `append_rows` / `remove_judgment`."""

    path: Path  # the store's location (the journal and the lock file sit beside it)

    def append(self, *, prompt: str, chosen: str, rejected: str, **metadata: Any) -> str: ...

    def append_rows(self, pairs: list[Mapping[str, Any]]) -> list[str]: ...

    def undo(self, pair_id: str) -> None: ...

    def remove_judgment(self, judgment_id: str) -> list[str]: ...

    def stored_ids(self) -> frozenset[str]: ...

    def read(self) -> PreferenceView: ...

    def load(self) -> pd.DataFrame: ...

    def export_csv(self, dest: str | os.PathLike[str]) -> Path: ...

    def locked(self) -> contextlib.AbstractContextManager[None]: ...

    def reading(self) -> contextlib.AbstractContextManager[None]: ...

    def log(self, name: str) -> RecordLog: ...


class LockedStore:
    """What every backend shares: the location's inter-process lock (`<path>.lock`; reentrant in a
    thread, exclusive across threads and processes) for several steps under one lock, the
    read-only fallback, and the conveniences built on `read` and `append_rows`."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        # One FileLock per store, reentrant within a thread (`locked()` around append_rows),
        # exclusive across threads (thread-local state: each thread opens its own descriptor).
        self._filelock = file_lock(self.path, lock_timeout)

    def _lock(self) -> FileLock:
        self._filelock.timeout = self.lock_timeout
        return self._filelock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock for several steps (reentrant in this thread: the store's own
        methods inside take it again); PreferenceError when another process holds it too long."""
        lock = self._lock()
        self._acquire(lock)
        try:
            yield
        finally:
            lock.release()

    def _acquire(self, lock: FileLock, *, reading: bool = False) -> bool:
        """Take the lock; True when held. A read (`reading`) in a directory where the lock file
        cannot be created (a read-only file system or data dir) goes on without it, with a note:
        nobody can be writing there. A write there raises PreferenceError (the cause named)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except Timeout as exc:
            raise PreferenceError(
                f"{self.path}: another process has held {lock.lock_file} for over {self.lock_timeout:.0f} s"
            ) from exc
        except OSError as exc:
            if reading and exc.errno in _UNWRITABLE:
                log.info("%s: reading without the lock (%s): the directory is not writable", self.path,
                         os_error_message(exc, "create the lock file").split(": ", 1)[1].split(";")[0])
                return False
            raise PreferenceError(os_error_message(exc, f"lock {self.path.name} for writing")) from exc
        return True

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """`locked()` for a read: without the lock where its file cannot be created (read-only)."""
        lock = self._lock()
        held = self._acquire(lock, reading=True)
        try:
            yield
        finally:
            if held:
                lock.release()

    def load(self) -> pd.DataFrame:
        """All pairs as a pandas DataFrame of text columns (COLUMNS, then any extra columns);
        for scripts and tests: the project's code asks `read()`'s view."""
        view = self.read()
        return pd.DataFrame([[row.get(c, "") for c in view.columns] for row in view.rows],
                            columns=list(view.columns), dtype=str)

    def append(self, *, prompt: str, chosen: str, rejected: str, **metadata: Any) -> str:
        """Validate and append one pair; returns its pair_id. A duplicate pair is refused."""
        return self.append_rows([{"prompt": prompt, "chosen": chosen, "rejected": rejected, **metadata}])[0]

    def read(self) -> PreferenceView:
        raise NotImplementedError

    def append_rows(self, pairs: list[Mapping[str, Any]]) -> list[str]:
        raise NotImplementedError


SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


def open_store(location: str | os.PathLike[str]) -> PreferenceBackend:
    """The preference store at `location`: the one place a backend is chosen. A `.sqlite`,
    `.sqlite3` or `.db` file is `trainer.core.sqlite_store.SqliteStore`; anything else the CSV file
    (`PreferenceStore`, the default)."""
    if Path(location).suffix.lower() in SQLITE_SUFFIXES:
        from trainer.core.sqlite_store import SqliteStore  # it builds on this module

        return SqliteStore(location)
    from trainer.core.csv_store import PreferenceStore  # it builds on this module

    return PreferenceStore(location)
