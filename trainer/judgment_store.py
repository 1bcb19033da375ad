"""The judgments file (`data/label_judgments.jsonl`, beside the preference CSV): every labeled
screen as it was judged, and the weighted pairs the CSV holds for it.

A screen shows K candidates; the person marks best and worst, may rank the rest, or says "both
bad" / "tie". `JudgmentStore.add` keeps that judgment (`trainer.judgments.Judgment`: every shown
text in display order, the ranking groups, ties, both_bad, annotator, model, sampling, prompt id,
created_at) and appends the pairs it implies under the pair scheme (`derive_pairs`, weights
summing to 1 per screen) to the CSV with their `judgment_id` and `weight`:

    store = JudgmentStore(PreferenceStore("data/orpo_dataset_llm.csv"))
    saved = store.add(judgment, scheme="extremes")   # Saved(judgment_id, pair_ids, scheme, duplicates)
    store.undo(saved.judgment_id)                    # the judgment and all its pairs
    store.read()                                     # live judgments, file order
    export_pairs("data/orpo_dataset_llm.csv", "data/label_judgments.jsonl", "all", "all.csv")

File format: one JSON object per line, UTF-8, newline-terminated.
    {"record": "judgment", "judgment_id": "j...", "prompt": ..., "candidates": [texts, display order],
     "ranking": [[positions], ...best group first], "both_bad": false, "category": ..., "annotator": ...,
     "model": ..., "source": "human", "created_at": ..., "extra": {"scheme": "extremes",
     "pair_ids": [the pairs this judgment wrote], "prompt_id": ..., "candidate_ids": [...],
     "shown_order": [generation index per shown card], "valid": [...], "sampling": {...},
     "decision_seconds": 3.2}}
    {"record": "undo", "judgment_id": "j...", "at": ..., "annotator": ...}
The file is append-only: an undo is a line, never a rewrite.

Durability (user labels are precious): one lock per write, the preference CSV's (`PreferenceStore
.locked()`); the judgment line goes first (fsynced), then its pairs in one CSV write. A crash
between the two leaves a judgment whose pairs (`extra.pair_ids`) are missing from the CSV, and an
interrupted undo leaves an undone judgment's pairs in it: `repair()` finds both and puts the CSV
right (re-derives the missing pairs from the judgment, removes an undone judgment's pairs). It
runs on open (`AppContext.create`) and under the lock before every add and undo. A torn last line
(a writer killed mid-write) is ignored when reading and moved aside (`<file>.torn-<time>`) by the
next write; a complete line that is not a record raises JudgmentError naming its line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trainer.csv_records import encode_row
from trainer.fileio import append_locked, atomic_write, os_error_message, utc_now, utc_stamp
from trainer.judgments import DEFAULT_SCHEME, SCHEMES, Judgment, WeightedPair, derive_pairs
from trainer.preferences import PreferenceError, PreferenceStore, format_weight, make_row
from trainer.schema import DEFAULT_PREFERENCES, JUDGMENTS_FILE
from trainer.schema import PREFERENCE_COLUMNS as COLUMNS

log = logging.getLogger(__name__)


class JudgmentError(PreferenceError):
    """The judgments file or a judgment is unusable; the message says what and where (line)."""


# ---------------------------------------------------------------- records <-> judgments


def judgment_record(j: Judgment) -> dict[str, Any]:
    """The JSON object of one judgment line."""
    return {"record": "judgment", "judgment_id": j.judgment_id, "prompt": j.prompt,
            "candidates": list(j.candidates), "ranking": [list(g) for g in j.ranking],
            "both_bad": j.both_bad, "category": j.category, "annotator": j.annotator, "model": j.model,
            "source": j.source, "created_at": j.created_at, "extra": dict(j.extra)}


def _field(obj: Mapping[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    value = obj.get(key, default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise JudgmentError(f"{where}'{key}' should be {kind.__name__}, found {type(value).__name__}")
    return value


def judgment_from_record(obj: Mapping[str, Any], where: str = "") -> Judgment:
    """A judgment line back as a Judgment; JudgmentError (prefixed with `where`) when it is not one."""
    candidates = _field(obj, "candidates", list, where)
    if not candidates or not all(isinstance(c, str) for c in candidates):
        raise JudgmentError(f"{where}'candidates' should be a non-empty list of texts")
    ranking = _field(obj, "ranking", list, where, [])
    if not all(isinstance(g, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in g)
               for g in ranking):
        raise JudgmentError(f"{where}'ranking' should be a list of lists of candidate positions")
    try:
        return Judgment(judgment_id=_field(obj, "judgment_id", str, where), prompt=_field(obj, "prompt", str, where),
                        candidates=tuple(candidates), ranking=tuple(tuple(g) for g in ranking),
                        both_bad=_field(obj, "both_bad", bool, where, False),
                        category=_field(obj, "category", str, where, ""),
                        annotator=_field(obj, "annotator", str, where, ""),
                        model=_field(obj, "model", str, where, ""), source=_field(obj, "source", str, where, "human"),
                        created_at=_field(obj, "created_at", str, where, ""),
                        extra=dict(_field(obj, "extra", dict, where, {})))
    except ValueError as exc:  # Judgment's own checks (a position ranked twice, out of range)
        if isinstance(exc, JudgmentError):
            raise
        raise JudgmentError(f"{where}{exc}") from exc


@dataclass(frozen=True)
class JudgmentLog:
    """One read of the judgments file: live judgments in file order, the undone ones' ids."""

    judgments: tuple[Judgment, ...] = ()
    undone: frozenset[str] = frozenset()
    size: int = 0
    torn_at: int | None = None  # byte offset of a torn last line, if any
    needs_newline: bool = False  # the last line is complete but lacks its newline (a hand edit)

    def by_id(self) -> dict[str, Judgment]:
        return {j.judgment_id: j for j in self.judgments}


def parse_judgments(data: bytes, name: str) -> JudgmentLog:
    """Parse the file's bytes (see the module docstring); JudgmentError names the bad line."""
    *complete, tail = data.split(b"\n")  # tail: the bytes after the last newline
    torn_at, needs_newline = None, False
    if tail.strip():
        try:
            json.loads(tail)
            complete.append(tail)
            needs_newline = True
        except (json.JSONDecodeError, UnicodeDecodeError):
            torn_at = len(data) - len(tail)
            log.warning("%s: line %d is incomplete, probably from a writer killed mid-write; it is ignored "
                        "and will be moved aside on the next write", name, len(complete) + 1)
    judgments: dict[str, Judgment] = {}
    first_line: dict[str, int] = {}
    undone: set[str] = set()
    for number, line in enumerate(complete, 1):
        if not line.strip():
            continue
        where = f"{name}: line {number}: "
        try:
            obj = json.loads(line)
        except UnicodeDecodeError as exc:
            raise JudgmentError(f"{where}not UTF-8 text ({exc.reason}); fix or remove the line by hand "
                                "(nothing was changed)") from exc
        except json.JSONDecodeError as exc:
            raise JudgmentError(f"{where}not a JSON object ({exc.msg} at column {exc.colno}); fix or remove "
                                "the line by hand (nothing was changed)") from exc
        if not isinstance(obj, dict) or obj.get("record") not in ("judgment", "undo"):
            raise JudgmentError(f"{where}not a judgment or undo record (its 'record' should be "
                                "'judgment' or 'undo')")
        if obj["record"] == "undo":
            target = _field(obj, "judgment_id", str, where)
            if target not in judgments or target in undone:
                raise JudgmentError(f"{where}undoes judgment {target!r}, which no earlier line holds live")
            undone.add(target)
            continue
        j = judgment_from_record(obj, where)
        if j.judgment_id in first_line:
            raise JudgmentError(f"{where}the same judgment_id {j.judgment_id} as line "
                                f"{first_line[j.judgment_id]}; remove one of them")
        first_line[j.judgment_id] = number
        judgments[j.judgment_id] = j
    live = tuple(j for jid, j in judgments.items() if jid not in undone)
    return JudgmentLog(live, frozenset(undone), len(data), torn_at, needs_newline)


def read_judgments(path: str | os.PathLike[str]) -> JudgmentLog:
    """The judgments file at `path` (an absent file: no judgments)."""
    path = Path(path)
    try:
        data = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        raise JudgmentError(os_error_message(exc, f"read {path}")) from exc
    return parse_judgments(data, path.name)


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
    """What `repair` changed in the CSV: pairs re-derived for judgments, pairs of undone ones removed."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


class JudgmentStore:
    """Judgments (a JSON-lines file) and their pairs (the preference CSV), written under the CSV's lock."""

    def __init__(self, pairs: PreferenceStore, path: str | os.PathLike[str] | None = None) -> None:
        self.pairs = pairs
        self.path = Path(path) if path is not None else pairs.path.with_name(JUDGMENTS_FILE)

    # -- reading

    def _log(self) -> JudgmentLog:
        return read_judgments(self.path)

    def read(self) -> JudgmentLog:
        """One read of the judgments file (under the lock)."""
        with self.pairs.locked():
            return self._log()

    # -- writing

    def _append(self, record: dict[str, Any], log_: JudgmentLog) -> None:
        """One line (under the CSV's lock; the file's own lock too): a torn last line is moved aside first."""
        payload = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
        try:
            if log_.torn_at is not None:
                data = self.path.read_bytes()
                aside = self.path.with_name(f"{self.path.name}.torn-{utc_stamp()}")
                aside.write_bytes(data[log_.torn_at:])
                os.truncate(self.path, log_.torn_at)
                log.warning("%s: moved an incomplete last line (%d bytes) to %s", self.path,
                            len(data) - log_.torn_at, aside)
            elif log_.needs_newline:
                payload = "\n" + payload
            append_locked(self.path, payload)
        except OSError as exc:
            raise JudgmentError(os_error_message(exc, f"save the judgment to {self.path.name}")) from exc

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
            self._append(record, log_)  # the record first: a crash after it is repaired from it
            self.pairs.append_rows(new)
        return Saved(judgment.judgment_id, tuple(row["pair_id"] for row in new), scheme, duplicates)

    def undo(self, judgment_id: str, annotator: str = "") -> tuple[str, ...]:
        """Take back a judgment: an undo line, then its pairs leave the CSV (one rewrite); returns
        the removed pair_ids. JudgmentError when it is not a live judgment."""
        with self.pairs.locked():
            log_ = self._log()
            if judgment_id not in log_.by_id():
                state = "already undone" if judgment_id in log_.undone else "not in " + self.path.name
                raise JudgmentError(f"judgment {judgment_id!r} is {state}; nothing was removed")
            self._append({"record": "undo", "judgment_id": judgment_id, "at": utc_now(), "annotator": annotator}, log_)
            return tuple(self.pairs.remove_judgment(judgment_id))

    def repair(self) -> Repair:
        """Put the CSV right after a crash between the two writes (see the module docstring)."""
        with self.pairs.locked():
            return self._repair(self._log())

    def _repair(self, log_: JudgmentLog) -> Repair:
        view = self.pairs.read()
        stored, by_judgment = view.pair_ids(), view.judgment_ids()
        added: list[str] = []
        removed: list[str] = []
        notes: list[str] = []
        for j in log_.judgments:
            missing = [pid for pid in j.extra.get("pair_ids", []) if pid not in stored]
            if not missing:
                continue
            scheme = j.extra.get("scheme", DEFAULT_SCHEME)
            rows = [row for row in judgment_pairs(j, scheme) if row["pair_id"] in missing]
            if len(rows) != len(missing):
                notes.append(f"judgment {j.judgment_id}: {len(missing) - len(rows)} recorded pair(s) cannot be "
                             "derived again (the file was edited by hand?)")
            added += self.pairs.append_rows(rows)
        for judgment_id in sorted(log_.undone & set(by_judgment)):
            removed += self.pairs.remove_judgment(judgment_id)
        for note in notes:
            log.warning("%s: %s", self.path, note)
        if added or removed:
            log.warning("%s: repaired %s after an interrupted write: %d pair(s) restored from their judgments, "
                        "%d pair(s) of undone judgments removed", self.path, self.pairs.path.name, len(added),
                        len(removed))
        return Repair(tuple(added), tuple(removed), tuple(notes))


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
    source = PreferenceStore(data)
    if not source.path.is_file():
        raise PreferenceError(f"{source.path} does not exist")
    if Path(out).resolve() == source.path.resolve():
        raise JudgmentError(f"--out is the preference file itself ({source.path}); write the view to "
                            "another file and train with --data on it")
    store = JudgmentStore(source, judgments)
    with source.locked():
        view = source.read()
        log_ = store._log()
    live = log_.by_id()
    kept = [dict(row) for row in view.rows
            if not row.get("judgment_id") or (row["judgment_id"] not in live and row["judgment_id"] not in log_.undone)]
    ids = {row["pair_id"] for row in kept}
    rows, derived, skipped = list(kept), 0, 0
    for j in log_.judgments:
        for row in judgment_pairs(j, scheme):
            derived += 1
            if row["pair_id"] in ids:
                skipped += 1
                continue
            ids.add(row["pair_id"])
            rows.append(row)
    header = list(view.columns)
    payload = encode_row(header) + b"".join(encode_row([row.get(c, "") for c in header]) for row in rows)
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
