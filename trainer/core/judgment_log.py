"""The judgments journal read and written line by line (`data/label_judgments.jsonl`, beside the
preference CSV): a `Judgment` <-> its JSON line, and one read of the whole file (`JudgmentLog`).
`trainer.core.judgment_store.JudgmentStore` writes the journal and keeps the CSV's pairs in step
with it; its docstring gives the file format and the record's-truth rules (intents, markers,
repair).

    log = read_judgments("data/label_judgments.jsonl")   # an absent file: no judgments
    log.judgments, log.undone, log.pending, log.deleted
    parse_judgments(data, name)                          # the same from bytes
    judgment_record(j) / judgment_from_record(obj)       # one line <-> one Judgment

Damage (a bare-CR file, a broken line anywhere but a torn last line) raises JudgmentError naming
the file and line. A torn last line (a writer killed mid-write) is ignored here; the store's next
write moves it aside.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.core.fileio import os_error_message
from trainer.core.jsonl import JsonlError, split_lines
from trainer.core.jsonl import records as jsonl_records
from trainer.core.judgments import Judgment
from trainer.core.preferences import PreferenceError


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


_ACTIONS = ("judgment", "undo")
_MARKERS = ("commit", "abort", "deleted")


@dataclass(frozen=True)
class JudgmentLog:
    """One read of the journal: live judgments in file order, the undone ones' ids, the one
    intent still in flight (`pending`: ("judgment" | "undo", judgment_id), from a writer that died
    between its journal line and its CSV write) and the pairs recorded as deleted by hand."""

    judgments: tuple[Judgment, ...] = ()
    undone: frozenset[str] = frozenset()
    size: int = 0
    torn_at: int | None = None  # byte offset of a torn last line, if any
    needs_newline: bool = False  # the last line is complete but lacks its newline (a hand edit)
    pending: tuple[str, str] | None = None
    deleted: Mapping[str, frozenset[str]] = field(default_factory=dict)
    aborted: int = 0  # intents reported failed (abort markers)

    def by_id(self) -> dict[str, Judgment]:
        return {j.judgment_id: j for j in self.judgments}

    def deleted_ids(self) -> frozenset[str]:
        return frozenset().union(*self.deleted.values()) if self.deleted else frozenset()


def parse_judgments(data: bytes, name: str) -> JudgmentLog:
    """Parse the journal's bytes (see the module docstring); JudgmentError names the bad line."""
    try:
        lines = split_lines(data, name)
        numbered = jsonl_records(lines, name, strict=True)
    except JsonlError as exc:
        raise JudgmentError(str(exc)) from exc
    judgments: dict[str, Judgment] = {}
    first_line: dict[str, int] = {}
    undone: set[str] = set()
    open_intents: dict[tuple[str, str], int] = {}  # (action, id) -> line, without a marker yet
    deleted: dict[str, frozenset[str]] = {}
    last_intent: tuple[str, str] | None = None
    aborted = 0
    for number, obj in numbered:
        where = f"{name}: line {number}: "
        kind = obj.get("record")
        if kind not in _ACTIONS + _MARKERS:
            raise JudgmentError(f"{where}not a judgment or undo record (its 'record' should be "
                                f"one of {', '.join(_ACTIONS + _MARKERS)})")
        target = _field(obj, "judgment_id", str, where)
        if kind == "undo":
            if target not in judgments or target in undone:
                raise JudgmentError(f"{where}undoes judgment {target!r}, which no earlier line holds live")
            undone.add(target)
            open_intents[("undo", target)] = number
            last_intent = ("undo", target)
        elif kind == "judgment":
            j = judgment_from_record(obj, where)
            if j.judgment_id in first_line:
                raise JudgmentError(f"{where}the same judgment_id {j.judgment_id} as line "
                                    f"{first_line[j.judgment_id]}; remove one of them")
            first_line[j.judgment_id] = number
            judgments[j.judgment_id] = j
            open_intents[("judgment", target)] = number
            last_intent = ("judgment", target)
        elif kind == "deleted":
            if target not in judgments:
                raise JudgmentError(f"{where}records deleted pairs of judgment {target!r}, which no earlier line holds")
            pair_ids = _field(obj, "pair_ids", list, where)
            deleted[target] = deleted.get(target, frozenset()) | frozenset(map(str, pair_ids))
        else:  # commit / abort of the latest intent on that judgment
            action = obj.get("action", "judgment")
            if (action, target) not in open_intents:
                raise JudgmentError(f"{where}{kind}s the {action} of judgment {target!r}, which no earlier "
                                    "line holds in flight")
            del open_intents[(action, target)]
            if kind == "abort":
                aborted += 1
                if action == "judgment":
                    del judgments[target], first_line[target]
                else:
                    undone.discard(target)
    # Every write repairs the journal first, under one lock: only the last intent can still be in
    # flight. Older intents without a marker (files from before the markers) count as committed.
    pending = last_intent if last_intent in open_intents else None
    live = tuple(j for jid, j in judgments.items() if jid not in undone)
    return JudgmentLog(live, frozenset(undone), len(data), lines.torn_at, lines.needs_newline, pending,
                       deleted, aborted)


def read_judgments(path: str | os.PathLike[str]) -> JudgmentLog:
    """The judgments file at `path` (an absent file: no judgments)."""
    path = Path(path)
    try:
        data = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        raise JudgmentError(os_error_message(exc, f"read {path}")) from exc
    return parse_judgments(data, path.name)
