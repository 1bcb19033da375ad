"""Overlap: each pool prompt judged by N distinct annotators on the same candidates (`--overlap N`).

With `app --overlap N` (N > 1; Argilla calls it `min_submitted`) the first generation of a pool
prompt is saved as a *task* in `data/label_tasks.jsonl` and every later annotator of that prompt
is shown the same candidates (in an order shuffled per annotator), so their judgments can be
compared (`trainer.core.agreement`). With the default N = 1 nothing here is used: candidates are
sampled afresh per session and a prompt is done at its first pair, as before.

Rules (`pick_prompt`):
- a prompt is *judged* by an annotator who saved a pair (or an edit) on it, or marked it a tie or
  both bad (not undone); a plain skip is no judgment. It is *done* when N distinct annotators
  judged it. A prompt that has pairs but no task (automatic pairs from `diagramlab bootstrap`,
  or labels from before overlap was switched on) is done too: its candidates cannot be replayed.
- an annotator is never offered a prompt they judged (and a second judgment of it is refused:
  `labeling.check_not_judged`), nor one that N annotators judged or are looking at right now;
- prompts already started (judged by, or shown to, other annotators; or with a task) come first,
  the most advanced first, so overlap is finished before new prompts are opened; the category
  furthest below its quota decides among equals, as `labeling.pick_category` does.
- a task keeps the model that generated it: after another checkpoint is activated, open tasks are
  still finished on their old candidates (the Label tab says so), new tasks use the new model.

The file: one JSON object per line, appended under `<file>.lock` with one O_APPEND write and
fsync (`trainer.core.jsonl.append_records`); the first task of a prompt wins (two sessions generating the
same new prompt at once both get the one written first). A torn last line is skipped when read
and moved aside by the next write (`trainer.core.jsonl`'s policy).

    store = TaskStore(data_dir / LABEL_TASKS_FILE)
    task = store.open(Task(...))          # the stored task of that prompt (this one if first)
    store.get(prompt_id)                  # Task | None
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labeler.common import UserError
from trainer.core.fileio import os_error_message, utc_now
from trainer.core.jsonl import Cursor, JsonlLog
from trainer.core.preferences import PreferenceError, RecordLog
from trainer.core.schema import CATEGORIES, LABELED_SOURCES

MAX_OVERLAP = 20
JUDGING_EVENTS = ("tie", "both_bad")  # logged judgments besides pairs (a skip is none)
LOCK_TIMEOUT_S = 30.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """The candidates every annotator of one pool prompt is shown (generation order)."""

    task_id: str  # the generation id: candidate ids are "<task_id>-<index>"
    prompt_id: str
    prompt: str
    model: str  # as the pairs CSV names it (trainer.generation.sources.source_name)
    checkpoint: str  # the checkpoint dir that generated it
    sampling: dict  # k, temperature, top_p, seed
    candidates: tuple[dict, ...]  # index, text, ok, problems, n_tokens, stopped_on_eos
    annotator: str = ""  # who opened it
    created_at: str = field(default_factory=utc_now)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "candidates": list(self.candidates)}, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        known["candidates"] = tuple(dict(c) for c in data["candidates"])
        return cls(**known)


class TaskStore:
    """label_tasks.jsonl: tasks by prompt id, appended safely by many sessions and processes."""

    def __init__(self, source: str | os.PathLike[str] | RecordLog) -> None:
        """`source`: the store's record log (`store.log(LABEL_TASKS_FILE)`) or a JSON-lines file."""
        self.records = JsonlLog(source) if isinstance(source, (str, os.PathLike)) else source
        self.path = Path(getattr(self.records, "path", ""))
        self._lock = threading.Lock()
        self._seen: tuple[Cursor, dict[str, Task]] = (Cursor(), {})  # where reading stopped, its tasks

    def read(self) -> dict[str, Task]:
        """{prompt_id: its first task}; reads only the lines appended since the last read
        (`trainer.core.jsonl.read_new`; a file replaced by a shorter one is read again)."""
        with self._lock:
            cursor, tasks = self._seen
            events, new_cursor = self.records.read_new(cursor)
            if new_cursor.offset < cursor.offset:
                tasks = {}  # replaced by a shorter file by hand: read again from the start
            cursor, tasks = new_cursor, dict(tasks)
            for event in events:
                try:
                    task = Task.from_dict(event)
                except (KeyError, TypeError, ValueError):
                    log.warning("%s: skipped a line that is not a task", self.path)
                    continue
                tasks.setdefault(task.prompt_id, task)
            self._seen = (cursor, tasks)
            return tasks

    def get(self, prompt_id: str) -> Task | None:
        return self.read().get(prompt_id)

    def open(self, task: Task) -> Task:
        """Save `task` unless its prompt has one already; returns the prompt's stored task.
        UserError when the disk refuses."""
        try:
            with self.records.locked():
                existing = self.get(task.prompt_id)
                if existing is not None:
                    return existing
                # A JSON-lines file: a torn last line moved aside first, one write + fsync.
                self.records.append([json.loads(task.to_json())])
        except OSError as exc:
            raise UserError(os_error_message(exc, "save the labeling task")) from exc
        except PreferenceError as exc:  # another backend's refusal, already a message
            raise UserError(f"could not save the labeling task: {exc}") from exc
        return self.get(task.prompt_id) or task


# ---------------------------------------------------------------- who judged what (pure)


def judged_by(rows: Iterable[Mapping[str, str]], events: Iterable[Mapping[str, Any]],
              prompt_ids: Mapping[str, str]) -> dict[str, set[str]]:
    """{prompt_id: annotators who judged it}: their pairs in the store (human, human_edit,
    simulated) and their tie / both-bad events that were not undone. `prompt_ids` maps a prompt
    text to its pool id, for rows whose `sampling` does not name it."""
    judged: dict[str, set[str]] = {}
    for row in rows:
        if row.get("source") not in LABELED_SOURCES:
            continue
        pid = _row_prompt_id(row) or prompt_ids.get(row.get("prompt", ""), "")
        if pid:
            judged.setdefault(pid, set()).add(row.get("annotator") or "anonymous")
    events = list(events)
    undone = {e.get("target") for e in events if e.get("event") == "undo"}
    for event in events:
        if event.get("event") in JUDGING_EVENTS and event.get("id") not in undone \
                and event.get("prompt_id"):
            judged.setdefault(str(event["prompt_id"]), set()).add(event.get("annotator") or "anonymous")
    return judged


def _row_prompt_id(row: Mapping[str, str]) -> str:
    try:
        return str(json.loads(row.get("sampling") or "{}").get("prompt_id") or "")
    except (ValueError, AttributeError):
        return ""


def stored_prompt_ids(rows: Iterable[Mapping[str, str]], prompt_ids: Mapping[str, str]) -> set[str]:
    """Pool ids of prompts with any stored pair (automatic ones included)."""
    return {pid for row in rows
            if (pid := _row_prompt_id(row) or prompt_ids.get(row.get("prompt", ""), ""))}


@dataclass(frozen=True)
class Overlap:
    """What `pick_prompt` needs to know about the pool's prompts, as plain data."""

    n: int  # annotators per prompt
    judged: Mapping[str, set[str]]  # prompt_id -> annotators who judged it
    tasks: frozenset[str]  # prompt ids with a task
    stored: frozenset[str] = frozenset()  # prompt ids with pairs (a pair without a task: done)
    shown: Mapping[str, int] = field(default_factory=dict)  # prompt_id -> other sessions showing it

    def done(self, pid: str) -> bool:
        return len(self.judged.get(pid, ())) >= self.n or (pid in self.stored and pid not in self.tasks)

    def open_for(self, pid: str, annotator: str) -> bool:
        """Whether `annotator` may be offered the prompt now."""
        judged = self.judged.get(pid, set())
        return (not self.done(pid) and annotator not in judged
                and len(judged) + self.shown.get(pid, 0) < self.n)

    def started(self, pid: str) -> tuple[int, bool]:
        """How far along a prompt is: (annotators judging or judged, has a task)."""
        return len(self.judged.get(pid, ())) + self.shown.get(pid, 0), pid in self.tasks


def pick_prompt(pool: list[Mapping[str, Any]], overlap: Overlap, annotator: str,
                excluded: set[str], counts: Mapping[str, int], rng: random.Random,
                pick_category) -> Mapping[str, Any]:
    """The pool row to offer `annotator` next (see the module docstring); UserError when none is
    left. `counts`: labeled pairs per category, `pick_category(counts, available, rng)`."""
    rows = [r for r in pool if str(r["prompt_id"]) not in excluded
            and overlap.open_for(str(r["prompt_id"]), annotator)]
    if not rows:
        raise UserError(f"Every prompt in the labeling pool has {overlap.n} annotators or was "
                        f"judged by you ({annotator}) - type your own prompt.")
    best = max(overlap.started(str(r["prompt_id"])) for r in rows)
    rows = [r for r in rows if overlap.started(str(r["prompt_id"])) == best]
    available = {c: sum(str(r["category"]) == c for r in rows) for c in CATEGORIES}
    category = pick_category(counts, available, rng)
    rows = [r for r in rows if str(r["category"]) == category]
    return rows[rng.randrange(len(rows))]


def overlap_progress(pool_ids: Iterable[str], judged: Mapping[str, set[str]], n: int) -> dict[int, int]:
    """{annotators: prompts} for 0..n (more than n counts as n) over the pool's prompts."""
    progress = dict.fromkeys(range(n + 1), 0)
    for pid in pool_ids:
        progress[min(n, len(judged.get(pid, ())))] += 1
    return progress
