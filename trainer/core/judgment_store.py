"""The judgments file (`data/label_judgments.jsonl`, beside the preference CSV): every labeled
screen as it was judged, and the weighted pairs the CSV holds for it.

A screen shows K candidates; the person marks best and worst, may rank the rest, or says "both
bad" / "tie". `JudgmentStore.add` keeps that judgment (`trainer.core.judgments.Judgment`: every shown
text in display order, the ranking groups, ties, both_bad, annotator, model, sampling, prompt id,
created_at) and appends the pairs it implies under the pair scheme (`derive_pairs`, weights
summing to 1 per screen) to the CSV with their `judgment_id` and `weight`:

    store = JudgmentStore(open_store("data/orpo_dataset_llm.csv"))
    saved = store.add(judgment, scheme="extremes")   # Saved(judgment_id, pair_ids, scheme, duplicates)
    store.undo(saved.judgment_id)                    # the judgment and all its pairs
    store.read()                                     # live judgments, file order
    export_pairs("data/orpo_dataset_llm.csv", "data/label_judgments.jsonl", "all", "all.csv")

File format (a journal; `trainer.core.jsonl`): one JSON object per line, UTF-8, newline-terminated.
    {"record": "judgment", "judgment_id": "j...", "prompt": ..., "candidates": [texts, display order],
     "ranking": [[positions], ...best group first], "both_bad": false, "category": ..., "annotator": ...,
     "model": ..., "source": "human", "created_at": ..., "extra": {"scheme": "extremes",
     "pair_ids": [the pairs this judgment wrote], "prompt_id": ..., "candidate_ids": [...],
     "shown_order": [generation index per shown card], "valid": [...], "sampling": {...},
     "decision_seconds": 3.2}}
    {"record": "undo", "judgment_id": "j...", "at": ..., "annotator": ...}
    {"record": "commit", "judgment_id": "j...", "action": "judgment" | "undo", "at": ...}
    {"record": "abort", "judgment_id": "j...", "action": "judgment" | "undo", "at": ..., "reason": ...}
    {"record": "deleted", "judgment_id": "j...", "pair_ids": [...], "at": ...}
The file is append-only: an undo is a line, never a rewrite. Reading it (a line <-> a `Judgment`, one
read of the file: `JudgmentLog`, `JudgmentError`) is `trainer.core.judgment_log`.

The record's truth wins (user labels are precious; what the page said stays true). One lock per
write, the preference CSV's (`PreferenceBackend.locked()`). A judgment or undo line is an *intent*,
written (fsynced) before the CSV changes; then the CSV write; then a `commit` marker. A CSV write
that fails (disk full: the page says "nothing was saved") gets an `abort` marker, or, if the
journal refuses that too, its intent line is cut back off: an aborted judgment is never written
later and an aborted undo never applied later. `repair()` (on open, `AppContext.create`, and
under the lock before every add and undo) follows the journal:
- the last intent without a marker is a write in flight when its process died: a judgment's
  missing pairs are derived again and appended, an undo's pairs removed, then it is committed.
  Only the last intent can be in flight (every write repairs first, under one lock); older
  intents without a marker (files from before the markers) count as committed.
- pairs of a committed judgment missing from the CSV were deleted by hand: a `deleted` line
  records them and they are never written back (`export_pairs` leaves them out too).
- temp copies of the CSV left by killed processes (`fileio.sweep_dead_temps`) are removed.
Damage (a bare-CR file, a broken line anywhere but a torn last line) raises JudgmentError naming
the file and line; nothing is written or moved. A torn last line (a writer killed mid-write) is
ignored when reading and moved aside (`<file>.torn-<time>`) by the next write.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trainer.core.csv_records import encode_rows
from trainer.core.fileio import atomic_write, os_error_message, sweep_dead_temps, utc_now
from trainer.core.jsonl import JsonlError, append_records, truncate_to
from trainer.core.judgment_log import JudgmentError, JudgmentLog, judgment_record, read_judgments
from trainer.core.judgments import DEFAULT_SCHEME, SCHEMES, Judgment, WeightedPair, derive_pairs
from trainer.core.preferences import PreferenceBackend, PreferenceError, format_weight, make_row, open_store
from trainer.core.schema import DEFAULT_PREFERENCES, JUDGMENTS_FILE
from trainer.core.schema import PREFERENCE_COLUMNS as COLUMNS

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- pairs of a judgment


def pair_rows(j: Judgment, pairs: list[WeightedPair]) -> list[dict[str, Any]]:
    """The CSV rows (prompt, chosen, rejected + metadata columns) of a judgment's pairs."""
    extra = j.extra
    ids = list(extra.get("candidate_ids") or [])
    sampling = extra.get("sampling")
    rows = []
    for p in pairs:
        row: dict[str, Any] = {
            "prompt": j.prompt, "chosen": p.chosen, "rejected": p.rejected, "category": j.category,
            "source": j.source, "annotator": j.annotator, "model": j.model, "created_at": j.created_at,
            "candidate_ids": f"{ids[p.chosen_pos]};{ids[p.rejected_pos]}" if len(ids) == len(j.candidates) else "",
            "positions": {"chosen": p.chosen_pos, "rejected": p.rejected_pos,
                          "shown_order": list(extra.get("shown_order") or [])},
            "judgment_id": j.judgment_id, "weight": format_weight(p.weight)}
        if sampling is not None:
            row["sampling"] = sampling
        if extra.get("decision_seconds") is not None:
            row["decision_seconds"] = extra["decision_seconds"]
        rows.append(row)
    return rows


def judgment_pairs(j: Judgment, scheme: str) -> list[dict[str, Any]]:
    """The validated CSV rows (every column as text, pair_id set) the judgment implies."""
    if j.both_bad:
        return []
    rows = []
    for pair in pair_rows(j, derive_pairs(j, scheme)):
        meta = {k: v for k, v in pair.items() if k not in ("prompt", "chosen", "rejected")}
        rows.append(make_row(pair["prompt"], pair["chosen"], pair["rejected"], meta))
    return rows


# ---------------------------------------------------------------- the store


@dataclass(frozen=True)
class Saved:
    """What `add` wrote: the judgment's id, its new pairs, the scheme, and the pairs it implies
    that were stored already (by an earlier judgment of the same person), so not written again."""

    judgment_id: str
    pair_ids: tuple[str, ...]
    scheme: str
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repair:
    """What `repair` did: pairs written for a judgment in flight, pairs removed for an undo in
    flight (the CSV changes), and pairs found deleted by hand (recorded, never written back)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    deleted_by_hand: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


class JudgmentStore:
    """Judgments (a JSON-lines journal) and their pairs (the preference CSV), written under the CSV's lock."""

    def __init__(self, pairs: PreferenceBackend, path: str | os.PathLike[str] | None = None) -> None:
        self.pairs = pairs
        self.path = Path(path) if path is not None else pairs.path.with_name(JUDGMENTS_FILE)

    # -- reading

    def _log(self) -> JudgmentLog:
        return read_judgments(self.path)

    def read(self) -> JudgmentLog:
        """One read of the judgments file (under the lock; read-only data dir: without it)."""
        with self.pairs.reading():
            return self._log()

    # -- writing

    def _append(self, *items: dict[str, Any]) -> int:
        """Lines of the journal (under the CSV's lock; the file's own lock too), after the torn-tail
        policy (`trainer.core.jsonl`); returns the file's size before them. JudgmentError when refused."""
        try:
            return append_records(self.path, items, strict=True)
        except JsonlError as exc:
            raise JudgmentError(str(exc)) from exc
        except OSError as exc:
            raise JudgmentError(os_error_message(exc, f"save the judgment to {self.path.name}")) from exc

    def _mark(self, action: str, judgment_id: str) -> None:
        """The commit marker: the CSV holds what the intent said. Best effort: a journal that cannot
        take it (disk full right now) is marked by the next repair, which finds the CSV complete."""
        try:
            self._append({"record": "commit", "judgment_id": judgment_id, "action": action, "at": utc_now()})
        except JudgmentError as exc:
            log.warning("%s: %s (the %s is saved; the next write marks it)", self.path, exc, action)

    def _abort(self, start: int, action: str, judgment_id: str, reason: Exception) -> None:
        """The intent was reported failed ("nothing was saved"): an abort marker, or, when the journal
        refuses that too, the intent's own line cut back off. Either way no repair applies it later."""
        try:
            self._append({"record": "abort", "judgment_id": judgment_id, "action": action, "at": utc_now(),
                          "reason": str(reason)[:500]})
            return
        except JudgmentError:
            pass
        try:
            truncate_to(self.path, start)
        except OSError as exc:
            raise JudgmentError(f"{reason}; and the {action} line in {self.path.name} could not be taken back "
                                f"({exc.strerror}): the next start will apply it") from exc

    def add(self, judgment: Judgment, scheme: str = DEFAULT_SCHEME) -> Saved:
        """Keep the judgment and append the pairs it implies under `scheme` (see the module
        docstring). Everything is checked before anything is written; pairs this person already
        stored are not written twice; a judgment all of whose pairs are stored is refused."""
        if scheme not in SCHEMES:
            raise JudgmentError(f"unknown pair scheme {scheme!r}; one of {', '.join(SCHEMES)}")
        if not judgment.created_at:
            judgment = replace(judgment, created_at=utc_now())
        with self.pairs.locked():
            log_ = self._log()
            self._repair(log_)
            if judgment.judgment_id in log_.by_id() or judgment.judgment_id in log_.undone:
                raise JudgmentError(f"judgment {judgment.judgment_id} is already in {self.path.name}; nothing was written")
            rows = judgment_pairs(judgment, scheme)
            stored = self.pairs.stored_ids()
            new = [row for row in rows if row["pair_id"] not in stored]
            duplicates = tuple(row["pair_id"] for row in rows if row["pair_id"] in stored)
            if rows and not new:
                raise JudgmentError(f"this screen's {len(rows)} pair(s) are already stored ({self.pairs.path.name}, "
                                    f"pair_id {rows[0]['pair_id']}); nothing was written")
            record = judgment_record(replace(judgment, extra={
                **judgment.extra, "scheme": scheme, "pair_ids": [row["pair_id"] for row in new]}))
            start = self._append(record)  # the intent first: a crash after it is completed from it
            try:
                self.pairs.append_rows(new)
            except PreferenceError as exc:  # reported to the person as failed: never applied later
                self._abort(start, "judgment", judgment.judgment_id, exc)
                raise
            self._mark("judgment", judgment.judgment_id)
        return Saved(judgment.judgment_id, tuple(row["pair_id"] for row in new), scheme, duplicates)

    def undo(self, judgment_id: str, annotator: str = "") -> tuple[str, ...]:
        """Take back a judgment: an undo line, then its pairs leave the CSV (one rewrite), then a
        commit marker; returns the removed pair_ids. JudgmentError when it is not a live judgment;
        an undo that fails is marked aborted (the judgment stays, now and after any repair)."""
        with self.pairs.locked():
            log_ = self._log()
            self._repair(log_)
            if judgment_id not in log_.by_id():
                state = "already undone" if judgment_id in log_.undone else "not in " + self.path.name
                raise JudgmentError(f"judgment {judgment_id!r} is {state}; nothing was removed")
            start = self._append({"record": "undo", "judgment_id": judgment_id, "at": utc_now(),
                                  "annotator": annotator})
            try:
                removed = tuple(self.pairs.remove_judgment(judgment_id))
            except PreferenceError as exc:
                self._abort(start, "undo", judgment_id, exc)
                raise
            self._mark("undo", judgment_id)
            return removed

    def repair(self) -> Repair:
        """Follow the journal after a crash (see the module docstring); also removes temp copies
        of the CSV left by dead processes."""
        for path in sweep_dead_temps(self.pairs.path):
            log.warning("removed %s, a temp copy left by a process that was killed", path)
        with self.pairs.reading():  # read-only: nothing can be in flight; a needed write says why not
            return self._repair(self._log())

    def _repair(self, log_: JudgmentLog) -> Repair:
        view = self.pairs.read()
        stored = view.pair_ids()
        added: list[str] = []
        removed: list[str] = []
        notes: list[str] = []
        action, pending = log_.pending or ("", "")
        if action == "judgment":  # a writer died between the judgment line and its pairs: complete it
            j = log_.by_id()[pending]
            missing = [pid for pid in j.extra.get("pair_ids", []) if pid not in stored]
            rows = [row for row in judgment_pairs(j, j.extra.get("scheme", DEFAULT_SCHEME))
                    if row["pair_id"] in missing]
            if len(rows) != len(missing):
                notes.append(f"judgment {j.judgment_id}: {len(missing) - len(rows)} recorded pair(s) cannot be "
                             "derived again (the file was edited by hand?)")
            added += self.pairs.append_rows(rows)
            stored = stored | set(added)
            self._mark("judgment", pending)
        elif action == "undo":  # a writer died between the undo line and the CSV rewrite: finish it
            removed += self.pairs.remove_judgment(pending)
            self._mark("undo", pending)
        gone: list[str] = []
        for j in log_.judgments:  # committed pairs missing from the CSV were deleted by hand: keep it so
            if j.judgment_id == pending:
                continue
            missing = [pid for pid in j.extra.get("pair_ids", [])
                       if pid not in stored and pid not in log_.deleted.get(j.judgment_id, ())]
            if missing:
                gone += missing
                try:
                    self._append({"record": "deleted", "judgment_id": j.judgment_id, "pair_ids": missing,
                                  "at": utc_now()})
                except JudgmentError as exc:  # read-only or full: still never written back
                    notes.append(f"could not record pairs deleted by hand: {exc}")
        for note in notes:
            log.warning("%s: %s", self.path, note)
        if added or removed:
            log.warning("%s: completed a write interrupted by a crash: %d pair(s) restored from their judgment, "
                        "%d pair(s) of an undone judgment removed", self.path, len(added), len(removed))
        if gone:
            log.warning("%s: %d pair(s) of saved judgments were deleted from %s by hand; recorded as deleted "
                        "(they stay deleted)", self.path, len(gone), self.pairs.path.name)
        return Repair(tuple(added), tuple(removed), tuple(notes), tuple(gone))


# ---------------------------------------------------------------- the training view


@dataclass(frozen=True)
class Export:
    rows: int  # rows written
    judgments: int  # judgments the pairs were derived from
    derived: int  # pairs derived from them
    kept: int  # rows of the CSV that no judgment holds (auto / bootstrap / older labels), copied
    skipped_duplicates: int  # derived pairs whose pair_id an earlier row already has


def export_pairs(data: str | os.PathLike[str], judgments: str | os.PathLike[str] | None, scheme: str,
                 out: str | os.PathLike[str]) -> Export:
    """Rebuild the TRL training view: the CSV's rows that come from no live judgment (auto,
    bootstrap, labels older than the judgments file) as they are, plus every live judgment's pairs
    under `scheme` (weights summing to 1 per judgment). Written atomically to `out`, which must
    not be the CSV itself (its judgments' pairs follow the scheme they were labeled with)."""
    if scheme not in SCHEMES:
        raise JudgmentError(f"unknown pair scheme {scheme!r}; one of {', '.join(SCHEMES)}")
    source = open_store(data)
    if not source.path.is_file():
        raise PreferenceError(f"{source.path} does not exist")
    if Path(out).resolve() == source.path.resolve():
        raise JudgmentError(f"--out is the preference file itself ({source.path}); write the view to "
                            "another file and train with --data on it")
    store = JudgmentStore(source, judgments)
    with source.reading():
        view = source.read()
        log_ = store._log()
    live = log_.by_id()
    kept = [dict(row) for row in view.rows
            if not row.get("judgment_id") or (row["judgment_id"] not in live and row["judgment_id"] not in log_.undone)]
    ids = {row["pair_id"] for row in kept}
    rows, derived, skipped = list(kept), 0, 0
    gone = log_.deleted_ids()  # deleted by hand: they stay out of the training view too
    for j in log_.judgments:
        for row in judgment_pairs(j, scheme):
            if row["pair_id"] in gone:
                continue
            derived += 1
            if row["pair_id"] in ids:
                skipped += 1
                continue
            ids.add(row["pair_id"])
            rows.append(row)
    header = list(view.columns)
    payload = encode_rows(header, rows)
    try:
        atomic_write(out, payload)
    except OSError as exc:
        raise PreferenceError(os_error_message(exc, f"write {out}")) from exc
    return Export(len(rows), len(log_.judgments), derived, len(kept), skipped)


# ---------------------------------------------------------------- command line


def add_export_pairs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scheme", choices=SCHEMES, default=DEFAULT_SCHEME,
                        help="pairs per judgment: best_worst (1, the labeler's old view), extremes (best over "
                             "each, each over worst), all (every pair across ranks); default %(default)s")
    parser.add_argument("--data", default=DEFAULT_PREFERENCES, help="the preference CSV (default %(default)s)")
    parser.add_argument("--judgments", default="", help=f"the judgments file (default: {JUDGMENTS_FILE} beside --data)")
    parser.add_argument("--out", required=True, help="the CSV to write (not --data itself)")


def run_export_pairs(args: argparse.Namespace) -> int:
    """`diagramlab export-pairs`: 0 written, 1 refused (message on stderr)."""
    try:
        report = export_pairs(args.data, args.judgments or None, args.scheme, args.out)
    except PreferenceError as exc:
        print(f"diagramlab export-pairs: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {report.rows} pairs ({report.derived - report.skipped_duplicates} from "
          f"{report.judgments} judgments under {args.scheme}, {report.kept} other rows kept"
          + (f", {report.skipped_duplicates} duplicate pairs skipped" if report.skipped_duplicates else "") + ")")
    return 0


__all__ = ["COLUMNS", "Export", "JudgmentError", "JudgmentLog", "JudgmentStore", "Repair", "Saved",
           "export_pairs", "judgment_from_record", "judgment_pairs", "judgment_record", "parse_judgments",
           "read_judgments"]
