"""A second preference-store backend on SQLite (standard library `sqlite3`), behind the same
protocol as the CSV file (`trainer.core.preferences.PreferenceBackend`); `open_store` picks it for a
`.sqlite` / `.sqlite3` / `.db` location. It exists to keep the protocol honest: every store test
runs on both backends (tests/test_store_backends.py parametrizes them), SIGKILLed writers
included. The CSV stays the default and the training artifact: `export_csv(dest)` writes the
same CSV the CSV store would.

One table, rows in insertion order, every column as text (validated by `preferences.make_row`,
exactly as the CSV store validates):

    CREATE TABLE pairs (seq INTEGER PRIMARY KEY AUTOINCREMENT, pair_id TEXT NOT NULL UNIQUE,
                        judgment_id TEXT NOT NULL DEFAULT '', data TEXT NOT NULL)  -- data: JSON {column: text}

Durability: WAL journal, `synchronous=FULL`; each write (one `append_rows`, one `undo`, one
`remove_judgment`) is one transaction, so a killed writer leaves all of it or none. Writers also
hold the location's lock (`<path>.lock`, as the CSV store does), so the judgments journal's
several steps (`locked()`) exclude every other writer of the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from trainer.core.csv_records import encode_rows
from trainer.core.fileio import atomic_write, os_error_message
from trainer.core.jsonl import Cursor
from trainer.core.preferences import COLUMNS, LOCK_TIMEOUT_S, LockedStore, PreferenceError, PreferenceView, make_row
from trainer.core.schema import PREFERENCE_REQUIRED as REQUIRED

_SCHEMA = ("CREATE TABLE IF NOT EXISTS pairs (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
           "pair_id TEXT NOT NULL UNIQUE, judgment_id TEXT NOT NULL DEFAULT '', data TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, "
           "data TEXT NOT NULL)")


class SqliteStore(LockedStore):
    """Preference pairs in one SQLite file; safe across threads and processes."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        super().__init__(path, lock_timeout=lock_timeout)

    @contextlib.contextmanager
    def _db(self, write: bool) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction (committed on success, rolled back otherwise)."""
        if not write and not self.path.exists():  # nothing stored yet: an empty read, no file made
            empty = sqlite3.connect(":memory:")
            try:
                yield empty
            finally:
                empty.close()
            return
        try:
            conn = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise PreferenceError(f"{self.path.name}: cannot open the store ({exc})") from exc
        try:
            if write:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("BEGIN IMMEDIATE")
            yield conn
            if write:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise PreferenceError(f"{self.path.name}: {exc}; nothing was saved") from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _rows(self, conn: sqlite3.Connection) -> list[tuple[str, str, dict[str, str]]]:
        try:
            found = conn.execute("SELECT pair_id, judgment_id, data FROM pairs ORDER BY seq").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        return [(pid, jid, json.loads(data)) for pid, jid, data in found]

    def log(self, name: str) -> SqliteLog:
        """The record log `name` (label events, overlap tasks) as rows of the `records` table."""
        return SqliteLog(self, name)

    # -- reading

    def read(self) -> PreferenceView:
        with self.reading(), self._db(write=False) as conn:
            rows = self._rows(conn)
        return PreferenceView(tuple({**dict.fromkeys(COLUMNS, ""), **data} for _p, _j, data in rows), COLUMNS)

    def stored_ids(self) -> frozenset[str]:
        with self.reading(), self._db(write=False) as conn:
            return frozenset(pid for pid, _j, _d in self._rows(conn))

    def export_csv(self, dest: str | os.PathLike[str]) -> Path:
        """The pairs as the CSV store's file (the training artifact), written atomically."""
        view = self.read()
        if not view.rows:
            raise PreferenceError(f"{self.path} holds no pairs; label some pairs or run `diagramlab bootstrap` first")
        try:
            return atomic_write(dest, encode_rows(COLUMNS, view.rows))
        except OSError as exc:
            raise PreferenceError(os_error_message(exc, f"write {dest}")) from exc

    # -- writing

    def append_rows(self, pairs: list[Mapping[str, Any]]) -> list[str]:
        """Validate and insert several pairs in one transaction: all or none (see the CSV store)."""
        if not pairs:
            return []
        with self.locked(), self._db(write=True) as conn:
            stored = {pid: n for n, (pid, _j, _d) in enumerate(self._rows(conn), 1)}
            rows, batch = [], set()
            for pair in pairs:
                meta = {k: v for k, v in pair.items() if k not in REQUIRED}
                row = make_row(pair.get("prompt"), pair.get("chosen"), pair.get("rejected"), meta)
                if row["pair_id"] in stored:
                    raise PreferenceError(f"this pair is already stored ({self.path.name} row {stored[row['pair_id']]}, "
                                          f"pair_id {row['pair_id']}); nothing was written")
                if row["pair_id"] in batch:
                    raise PreferenceError(f"pair_id {row['pair_id']} is given twice; nothing was written")
                batch.add(row["pair_id"])
                rows.append(row)
            conn.executemany("INSERT INTO pairs (pair_id, judgment_id, data) VALUES (?, ?, ?)",
                             [(r["pair_id"], r.get("judgment_id", ""), json.dumps(r, ensure_ascii=False))
                              for r in rows])
        return [row["pair_id"] for row in rows]

    def remove_judgment(self, judgment_id: str) -> list[str]:
        if not judgment_id:
            raise PreferenceError("no judgment_id given; nothing was removed")
        with self.locked(), self._db(write=True) as conn:
            removed = [pid for (pid,) in conn.execute(
                "SELECT pair_id FROM pairs WHERE judgment_id = ? ORDER BY seq", (judgment_id,))]
            conn.execute("DELETE FROM pairs WHERE judgment_id = ?", (judgment_id,))
        return removed

    def undo(self, pair_id: str) -> None:
        with self.locked(), self._db(write=True) as conn:
            found = conn.execute("SELECT judgment_id FROM pairs WHERE pair_id = ?", (pair_id,)).fetchone()
            if found is None:
                raise PreferenceError(f"{self.path.name}: no pair with pair_id {pair_id!r}; nothing was removed")
            if found[0]:
                raise PreferenceError(f"{self.path.name}: pair {pair_id} belongs to judgment {found[0]}; "
                                      "undo the judgment (all its pairs) instead; nothing was removed")
            conn.execute("DELETE FROM pairs WHERE pair_id = ?", (pair_id,))


class SqliteLog:
    """One record log of a SqliteStore (`trainer.core.preferences.RecordLog`): rows of `records` with
    its name, in insertion order; the cursor's offset is the last row's `seq`."""

    def __init__(self, store: SqliteStore, name: str) -> None:
        self.store, self.name, self.path = store, name, store.path

    def locked(self) -> Any:
        return self.store.locked()

    def append(self, items: Iterable[Mapping[str, Any]]) -> None:
        rows = [(self.name, json.dumps(dict(item), ensure_ascii=False, default=str)) for item in items]
        with self.store.locked(), self.store._db(write=True) as conn:  # PreferenceError when refused
            conn.executemany("INSERT INTO records (log, data) VALUES (?, ?)", rows)

    def read(self) -> list[dict[str, Any]]:
        return self.read_new()[0]

    def read_new(self, cursor: Cursor | None = None) -> tuple[list[dict[str, Any]], Cursor]:
        cursor = cursor or Cursor()
        with self.store.reading(), self.store._db(write=False) as conn:
            try:
                found = conn.execute("SELECT seq, data FROM records WHERE log = ? AND seq > ? ORDER BY seq",
                                     (self.name, cursor.offset)).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return [], cursor
                raise
        if not found:
            return [], cursor
        return [json.loads(data) for _seq, data in found], Cursor(found[-1][0], found[-1][0] + 1)


__all__ = ["SqliteLog", "SqliteStore"]
